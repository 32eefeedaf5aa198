package caffe

import (
	"encoding/binary"
	"math"
	"slices"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/caffetool/caffetool/proto/caffepb"
)

// Field numbers on the path from a NetParameter to its weight values.
const (
	netLayerField   = 100 // NetParameter.layer (LayerParameter)
	netLayersField  = 2   // NetParameter.layers (V1LayerParameter)
	layerBlobsField = 7   // LayerParameter.blobs
	v1BlobsField    = 6   // V1LayerParameter.blobs
	blobDataField   = 5   // BlobProto.data, packed float
	blobDiffField   = 6   // BlobProto.diff, packed float
)

// decodeNetFast decodes a caffemodel with its float blob values taken
// straight from the wire: the protobuf library decodes a packed float
// field value by value into a growing slice, several times slower than
// reading the file. Here every BlobProto.data and .diff payload of the
// net's layers is copied once into a []float32 of the right size; the
// rest of the message, with those payloads cut out, goes through
// proto.Unmarshal as usual, and the values are attached to the decoded
// blobs afterwards (wire order is the order of the repeated fields).
//
// It reports ok == false, leaving the full decoder to produce the same
// result or the precise error, on anything unusual: malformed wire data,
// or a float field that is not packed.
func decodeNetFast(data []byte) (net *caffepb.NetParameter, ok bool) {
	var blobs []blobValues
	stripped, ok := stripNet(data, &blobs)
	if !ok {
		return nil, false
	}
	net = &caffepb.NetParameter{}
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(stripped, net); err != nil {
		return nil, false
	}
	i := 0
	attach := func(ps []*caffepb.BlobProto) bool {
		for _, b := range ps {
			if i >= len(blobs) {
				return false
			}
			b.Data, b.Diff = blobs[i].data, blobs[i].diff
			i++
		}
		return true
	}
	for _, l := range net.GetLayer() {
		if !attach(l.GetBlobs()) {
			return nil, false
		}
	}
	for _, l := range net.GetLayers() {
		if !attach(l.GetBlobs()) {
			return nil, false
		}
	}
	if i != len(blobs) {
		return nil, false
	}
	return net, true
}

// blobValues are the values cut out of one BlobProto.
type blobValues struct{ data, diff []float32 }

// stripNet copies a NetParameter's wire bytes without the float payloads
// of its layers' blobs, appending those (decoded) to blobs: first every
// LayerParameter's blobs, then every V1LayerParameter's, each in wire
// order, which is how the decoded message lists them.
func stripNet(data []byte, blobs *[]blobValues) ([]byte, bool) {
	out := make([]byte, 0, 4096)
	var v1 []blobValues
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil, false
		}
		m := protowire.ConsumeFieldValue(num, typ, data[n:])
		if m < 0 {
			return nil, false
		}
		field := data[:n+m]
		data = data[n+m:]
		blobsField, list := protowire.Number(0), blobs
		switch {
		case num == netLayerField && typ == protowire.BytesType:
			blobsField = layerBlobsField
		case num == netLayersField && typ == protowire.BytesType:
			blobsField, list = v1BlobsField, &v1
		default:
			out = append(out, field...)
			continue
		}
		layer, _ := protowire.ConsumeBytes(field[n:])
		layer, ok := stripLayer(layer, blobsField, list)
		if !ok {
			return nil, false
		}
		out = protowire.AppendTag(out, num, protowire.BytesType)
		out = protowire.AppendBytes(out, layer)
	}
	*blobs = append(*blobs, v1...)
	return out, true
}

// stripLayer rewrites one layer message, cutting the payloads out of its
// blobs field.
func stripLayer(data []byte, blobsField protowire.Number, blobs *[]blobValues) ([]byte, bool) {
	out := make([]byte, 0, 256)
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil, false
		}
		m := protowire.ConsumeFieldValue(num, typ, data[n:])
		if m < 0 {
			return nil, false
		}
		field := data[:n+m]
		data = data[n+m:]
		if num != blobsField || typ != protowire.BytesType {
			out = append(out, field...)
			continue
		}
		blob, _ := protowire.ConsumeBytes(field[n:])
		blob, vals, ok := stripBlob(blob)
		if !ok {
			return nil, false
		}
		*blobs = append(*blobs, vals)
		out = protowire.AppendTag(out, num, protowire.BytesType)
		out = protowire.AppendBytes(out, blob)
	}
	return out, true
}

// stripBlob removes the packed data and diff fields of a BlobProto and
// returns their values.
func stripBlob(data []byte) ([]byte, blobValues, bool) {
	var out []byte
	var vals blobValues
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil, vals, false
		}
		m := protowire.ConsumeFieldValue(num, typ, data[n:])
		if m < 0 {
			return nil, vals, false
		}
		field := data[:n+m]
		data = data[n+m:]
		if num != blobDataField && num != blobDiffField {
			out = append(out, field...)
			continue
		}
		if typ != protowire.BytesType {
			return nil, vals, false // unpacked floats: rare, left to the library
		}
		payload, _ := protowire.ConsumeBytes(field[n:])
		if len(payload)%4 != 0 {
			return nil, vals, false
		}
		dst := &vals.data
		if num == blobDiffField {
			dst = &vals.diff
		}
		*dst = appendFloats(*dst, payload)
	}
	return out, vals, true
}

// appendFloats appends the little-endian float32 values in b to s. A
// packed field may come in several pieces, which protobuf concatenates;
// the usual single piece becomes one allocation and one copy.
func appendFloats(s []float32, b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		if s == nil {
			s = []float32{}
		}
		return s
	}
	start := len(s)
	if s == nil {
		s = make([]float32, n)
	} else {
		s = slices.Grow(s, n)[:start+n]
	}
	dst := s[start:]
	if littleEndian {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*n), b)
		return s
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return s
}

// littleEndian is true on the CPUs where float32 memory order is the wire
// order, so a payload is copied as bytes.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()
