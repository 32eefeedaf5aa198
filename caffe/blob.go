package caffe

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// maxBlobAxes is Caffe's kMaxBlobAxes.
const maxBlobAxes = 32

// hasLegacyShape reports whether any of the deprecated 4-D fields is
// present. Caffe (Blob::FromProto, Blob::ShapeEquals) then ignores `shape`.
func hasLegacyShape(b *caffepb.BlobProto) bool {
	return b.Num != nil || b.Channels != nil || b.Height != nil || b.Width != nil
}

// BlobShape returns the shape a blob declares, by Caffe's rule: when any of
// the legacy num/channels/height/width fields is present the shape is 4-D
// N×C×H×W (legacy is true, and `shape` is ignored, as Caffe ignores it);
// otherwise it is shape.dim, which may have no axes (a scalar). The dims are
// returned unchecked; BlobData validates them.
func BlobShape(b *caffepb.BlobProto) (shape []int, legacy bool) {
	if hasLegacyShape(b) {
		return []int{int(b.GetNum()), int(b.GetChannels()), int(b.GetHeight()), int(b.GetWidth())}, true
	}
	dims := b.GetShape().GetDim()
	shape = make([]int, len(dims))
	for i, d := range dims {
		shape[i] = int(d)
	}
	return shape, false
}

// blobCount validates a declared shape and returns its element count.
func blobCount(b *caffepb.BlobProto) (graph.Shape, int, error) {
	if n := len(b.GetShape().GetDim()); !hasLegacyShape(b) && n > maxBlobAxes {
		return nil, 0, fmt.Errorf("blob has %d axes; Caffe allows at most %d", n, maxBlobAxes)
	}
	s, _ := BlobShape(b)
	shape := graph.Shape(s)
	for i, d := range shape {
		if d < 0 {
			return nil, 0, fmt.Errorf("blob shape %s has negative dimension %d at axis %d", shape, d, i)
		}
	}
	n, ok := shape.Count64()
	if !ok {
		return nil, 0, fmt.Errorf("blob shape %s has more than %d elements", shape, graph.MaxElements)
	}
	return shape, int(n), nil
}

// BlobData returns the values of b as float32, checking that their number
// matches the declared shape (see BlobShape) before anything is allocated.
// Sources, in order: double_data when non-empty (converted, as Caffe
// prefers it), raw_data by raw_data_type when data is empty (NVIDIA Caffe /
// OpenCV half-precision storage; FLOAT16, FLOAT and DOUBLE are supported),
// else data.
//
// For float `data` the returned slice is b.Data itself, not a copy, so that
// multi-hundred-megabyte models are not held twice; copy it before
// modifying it if b is still used.
func BlobData(b *caffepb.BlobProto) ([]float32, error) {
	if b == nil {
		return nil, fmt.Errorf("blob is missing")
	}
	shape, n, err := blobCount(b)
	if err != nil {
		return nil, err
	}
	mismatch := func(have int, what string) error {
		return fmt.Errorf("blob has %d %s but its shape %s needs %d", have, what, shape, n)
	}
	switch {
	case len(b.DoubleData) > 0:
		if len(b.DoubleData) != n {
			return nil, mismatch(len(b.DoubleData), "values (double_data)")
		}
		out := make([]float32, n)
		for i, v := range b.DoubleData {
			out[i] = float32(v)
		}
		return out, nil
	case b.RawData != nil && len(b.Data) == 0:
		return rawBlobData(b.GetRawDataType(), b.RawData, n, mismatch)
	default:
		if len(b.Data) != n {
			return nil, mismatch(len(b.Data), "values")
		}
		return b.Data, nil
	}
}

func rawBlobData(typ caffepb.Type, raw []byte, n int, mismatch func(int, string) error) ([]float32, error) {
	var size int
	switch typ {
	case caffepb.Type_FLOAT16:
		size = 2
	case caffepb.Type_FLOAT:
		size = 4
	case caffepb.Type_DOUBLE:
		size = 8
	default:
		return nil, fmt.Errorf("raw_data_type %s is not supported (only FLOAT16, FLOAT and DOUBLE)", typ)
	}
	if len(raw)%size != 0 {
		return nil, fmt.Errorf("raw_data of %d bytes is not a whole number of %s values", len(raw), typ)
	}
	if len(raw)/size != n {
		return nil, mismatch(len(raw)/size, typ.String()+" values (raw_data)")
	}
	out := make([]float32, n)
	le := binary.LittleEndian
	switch typ {
	case caffepb.Type_FLOAT16:
		for i := range out {
			out[i] = halfToFloat32(le.Uint16(raw[2*i:]))
		}
	case caffepb.Type_FLOAT:
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case caffepb.Type_DOUBLE:
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	}
	return out, nil
}

// halfToFloat32 widens an IEEE 754 binary16 value exactly, including
// subnormals, infinities and NaN payloads.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN: all-ones exponent, payload kept
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
	// Zero or subnormal: mant × 2^-24, exact in float32.
	f := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// LegacyShapeMatches reports whether a parameter blob of the given shape
// accepts b, with Caffe's Blob::ShapeEquals rule. For a blob with legacy
// num/channels/height/width fields, shape (at most 4 axes) is compared
// right-aligned, missing leading axes counting as 1: a 1×1×1×N legacy bias
// matches [N] and a 1×1×OUT×IN legacy InnerProduct weight matches [OUT, IN].
// Otherwise shape must equal shape.dim exactly.
func LegacyShapeMatches(shape []int, b *caffepb.BlobProto) bool {
	if b == nil {
		return false
	}
	if hasLegacyShape(b) {
		if len(shape) > 4 {
			return false
		}
		axis := func(i int) int64 { // Caffe's LegacyShape(i) for i in -4..-1
			if j := len(shape) + i; j >= 0 {
				return int64(shape[j])
			}
			return 1
		}
		return axis(-4) == int64(b.GetNum()) && axis(-3) == int64(b.GetChannels()) &&
			axis(-2) == int64(b.GetHeight()) && axis(-1) == int64(b.GetWidth())
	}
	dims := b.GetShape().GetDim()
	if len(dims) != len(shape) {
		return false
	}
	for i, d := range dims {
		if int64(shape[i]) != d {
			return false
		}
	}
	return true
}

// EncodeBlob builds a BlobProto as current Caffe writes one: BlobShape plus
// float data. data is stored as is, not copied.
func EncodeBlob(shape []int, data []float32) *caffepb.BlobProto {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	return &caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: dims}, Data: data}
}
