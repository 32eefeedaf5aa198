package caffe

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// addSeedFiles adds every file under the repository's testdata (relative
// to this package) whose name ends in one of exts and that is at most
// maxSize bytes; with CAFFETOOL_SHARED set, the zoo's small files too.
func addSeedFiles(f *testing.F, maxSize int64, exts ...string) {
	f.Helper()
	roots := []string{filepath.Join("..", "testdata")}
	if shared := os.Getenv("CAFFETOOL_SHARED"); shared != "" {
		roots = append(roots, filepath.Join(shared, "zoo"))
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			ok := false
			for _, e := range exts {
				ok = ok || strings.HasSuffix(path, e)
			}
			if info, err := d.Info(); !ok || err != nil || info.Size() > maxSize {
				return nil
			}
			if b, err := os.ReadFile(path); err == nil {
				f.Add(b)
			}
			return nil
		})
	}
}

// checkOneLine fails when an error message spans lines or does not start
// with the file name: every error caffetool prints is one line naming the
// file.
func checkOneLine(t *testing.T, err error, file string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("error spans lines: %q", msg)
	}
	if !strings.HasPrefix(msg, file) {
		t.Fatalf("error does not name %s first: %q", file, msg)
	}
}

// FuzzPrototxt runs text nets through everything `caffetool inspect` does:
// parse, upgrade, NetState filtering, layer decoding, graph building,
// shape inference (strict and partial) and costs. It also checks that the
// upgraded net written back as text (what `caffetool upgrade` writes)
// parses again to the same text.
func FuzzPrototxt(f *testing.F) {
	addSeedFiles(f, 64<<10, ".prototxt")
	f.Add([]byte(forkNet))
	f.Add([]byte("input: \"data\" input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8\n" +
		"layers { name: \"c\" type: CONVOLUTION bottom: \"data\" top: \"c\" convolution_param { num_output: 2 kernel_size: 3 } }"))
	f.Add([]byte("layer { name: \"in\" type: \"Input\" top: \"x\" input_param { shape { dim: 2 dim: 3 } } }\n" +
		"layer { name: \"r\" type: \"Reshape\" bottom: \"x\" top: \"y\" reshape_param { shape { dim: -1 dim: 0 } } }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.prototxt"
		net, err := LoadBytes(file, data, "", nil, LoadOptions{})
		if err != nil {
			checkOneLine(t, err, file)
			return
		}
		g := net.Graph
		if err := g.InferShapes(nil); err != nil {
			var le *graph.LayerError
			if !errors.As(err, &le) {
				t.Fatalf("shape error is not a *graph.LayerError: %v", err)
			}
		} else {
			for _, v := range g.Values {
				if _, ok := v.Shape.Count64(); !ok || v.Shape == nil {
					t.Fatalf("blob %s: inferred shape %v out of bounds", v.Name(), v.Shape)
				}
			}
			if _, _, err := g.Costs(); err != nil {
				var le *graph.LayerError
				if !errors.As(err, &le) {
					t.Fatalf("cost error is not a *graph.LayerError: %v", err)
				}
			}
		}
		for _, err := range g.InferShapesPartial(nil) {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("partial shape error spans lines: %q", err)
			}
		}
		checkUpgradeRoundTrip(t, file, data)
	})
}

// checkUpgradeRoundTrip: what `caffetool upgrade` writes for a net it
// accepted must parse again, and writing that again gives the same text.
func checkUpgradeRoundTrip(t *testing.T, file string, data []byte) {
	t.Helper()
	np := &caffepb.NetParameter{}
	res, err := ParseText(file, data, np, TextOptions{})
	if err != nil {
		t.Fatalf("parsed once, not twice: %v", err)
	}
	if _, _, err := upgradeNet(np, res); err != nil {
		return
	}
	out := MarshalText(np, res)
	again := &caffepb.NetParameter{}
	res2, err := ParseText("upgraded.prototxt", out, again, TextOptions{})
	if err != nil {
		t.Fatalf("upgraded text does not parse: %v\n%s", err, out)
	}
	if out2 := MarshalText(again, res2); !bytes.Equal(out, out2) {
		t.Fatalf("upgraded text is not a fixed point:\n%s\n---\n%s", out, out2)
	}
}

// fuzzWeightsNet is the net FuzzCaffemodel loads weights into: every kind
// of parameter matching (shared params, in-place chains, BatchNorm's three
// statistics, a layer without bias, PReLU, a fully connected layer after a
// convolution).
const fuzzWeightsNet = `name: "fz"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 5 dim: 5 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" param { name: "w" }
  convolution_param { num_output: 3 kernel_size: 3 } }
layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" }
layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" scale_param { bias_term: true } }
layer { name: "prelu" type: "PReLU" bottom: "conv" top: "conv" }
layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 4 } }
layer { name: "conv2" type: "Convolution" bottom: "data" top: "conv2" param { name: "w" }
  convolution_param { num_output: 3 kernel_size: 3 bias_term: false } }
`

// fuzzWeightsSeeds are caffemodels for fuzzWeightsNet: a current one, one
// with legacy 4-D dims, one with double data, a V1 (`layers`) one, one
// with raw data, and one with a blob too short for its shape.
func fuzzWeightsSeeds(tb testing.TB) [][]byte {
	blob := func(shape ...int) *caffepb.BlobProto {
		n := graph.Shape(shape).Count()
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(i%7) - 3
		}
		return EncodeBlob(shape, d)
	}
	legacy := func(n, c, h, w int32) *caffepb.BlobProto {
		d := make([]float32, n*c*h*w)
		return &caffepb.BlobProto{Num: &n, Channels: &c, Height: &h, Width: &w, Data: d}
	}
	layer := func(name string, blobs ...*caffepb.BlobProto) *caffepb.LayerParameter {
		return &caffepb.LayerParameter{Name: proto.String(name), Blobs: blobs}
	}
	cur := &caffepb.NetParameter{Layer: []*caffepb.LayerParameter{
		layer("conv", blob(3, 2, 3, 3), blob(3)),
		layer("bn", blob(3), blob(3), blob(1)),
		layer("sc", blob(3), blob(3)),
		layer("prelu", blob(3)),
		layer("ip", blob(4, 27), blob(4)),
		layer("unused", blob(2)),
	}}
	old := &caffepb.NetParameter{Layer: []*caffepb.LayerParameter{
		layer("conv", legacy(3, 2, 3, 3), legacy(1, 1, 1, 3)),
		layer("ip", legacy(1, 1, 4, 27), legacy(1, 1, 1, 4)),
	}}
	dbl := proto.Clone(cur).(*caffepb.NetParameter)
	for _, l := range dbl.Layer {
		for _, b := range l.Blobs {
			for _, v := range b.Data {
				b.DoubleData = append(b.DoubleData, float64(v))
			}
			b.Data = nil
		}
	}
	v1 := &caffepb.NetParameter{Layers: []*caffepb.V1LayerParameter{
		{Name: proto.String("conv"), Type: caffepb.V1LayerParameter_CONVOLUTION.Enum(), Blobs: []*caffepb.BlobProto{legacy(3, 2, 3, 3), legacy(1, 1, 1, 3)}},
		{Name: proto.String("ip"), Type: caffepb.V1LayerParameter_INNER_PRODUCT.Enum(), Blobs: []*caffepb.BlobProto{legacy(1, 1, 4, 27), legacy(1, 1, 1, 4)}},
	}}
	// Raw half, single and double precision data (NVIDIA Caffe, OpenCV),
	// and a blob whose values do not fill its shape.
	raw := func(typ caffepb.Type, size int, shape ...int) *caffepb.BlobProto {
		n := graph.Shape(shape).Count()
		b := EncodeBlob(shape, nil)
		b.RawDataType = typ.Enum()
		b.RawData = make([]byte, n*size)
		for i := range b.RawData {
			b.RawData[i] = byte(i * 7)
		}
		return b
	}
	rawNet := &caffepb.NetParameter{Layer: []*caffepb.LayerParameter{
		layer("conv", raw(caffepb.Type_FLOAT16, 2, 3, 2, 3, 3), raw(caffepb.Type_FLOAT, 4, 3)),
		layer("ip", raw(caffepb.Type_DOUBLE, 8, 4, 27), raw(caffepb.Type_FLOAT16, 2, 4)),
	}}
	short := proto.Clone(cur).(*caffepb.NetParameter)
	short.Layer[0].Blobs[0].Data = short.Layer[0].Blobs[0].Data[:10]
	var out [][]byte
	for _, m := range []*caffepb.NetParameter{cur, old, dbl, v1, rawNet, short} {
		b, err := MarshalBinary(m)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzCaffemodel loads fuzzed caffemodels into a fixed net: wire decoding,
// caffemodel upgrades (V0/V1 layers), blob shape and count checks, legacy
// shape matching, shared parameters. The same bytes are also read as a
// .binaryproto mean file.
func FuzzCaffemodel(f *testing.F) {
	for _, b := range fuzzWeightsSeeds(f) {
		f.Add(b)
	}
	addSeedFiles(f, 256<<10, ".caffemodel", ".binaryproto")
	f.Fuzz(func(t *testing.T, data []byte) {
		const wfile = "fuzz.caffemodel"
		net, err := LoadBytes("fz.prototxt", []byte(fuzzWeightsNet), wfile, data, LoadOptions{})
		if err != nil {
			checkOneLine(t, err, wfile)
		} else {
			for _, n := range net.Graph.Nodes {
				for i, p := range n.Params {
					if p != nil && int64(len(p.Data)) != int64(p.Shape.Count()) {
						t.Fatalf("layer %s param %d: %d values for shape %v", n.Name, i, len(p.Data), p.Shape)
					}
				}
			}
		}
		// DecodeNet (which may take a faster path than the protobuf
		// library) must decode exactly what the library decodes.
		ref := &caffepb.NetParameter{}
		rerr := proto.UnmarshalOptions{AllowPartial: true}.Unmarshal(data, ref)
		got, gerr := DecodeNet(wfile, data)
		switch {
		case len(data) == 0:
		case (rerr == nil) != (gerr == nil):
			t.Fatalf("protobuf says %v, DecodeNet says %v", rerr, gerr)
		case gerr == nil && !proto.Equal(got, ref):
			t.Fatalf("DecodeNet and protobuf disagree:\n%v\n---\n%v", got, ref)
		}
		// wireError must explain exactly the files protobuf rejects.
		for _, msg := range []proto.Message{&caffepb.NetParameter{}, &caffepb.BlobProto{}} {
			perr := proto.UnmarshalOptions{AllowPartial: true}.Unmarshal(data, msg)
			where := wireError(data, msg.ProtoReflect().Descriptor())
			if (perr != nil) != (where != "") {
				t.Fatalf("%T: protobuf says %v, wireError says %q", msg, perr, where)
			}
		}
		if m, err := DecodeBlobFile("fuzz.binaryproto", data); err == nil {
			if int64(len(m.Data)) != int64(m.Shape.Count()) {
				t.Fatalf("mean blob: %d values for shape %v", len(m.Data), m.Shape)
			}
		} else {
			checkOneLine(t, err, "fuzz.binaryproto")
		}
	})
}
