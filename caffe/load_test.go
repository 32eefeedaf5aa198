package caffe

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

const tinyNet = "../testdata/nets/tiny_conv.prototxt"

// blobLayer makes a caffemodel layer whose blob i holds base+i*100+k at k.
func blobLayer(name string, base float32, shapes ...[]int) *caffepb.LayerParameter {
	l := &caffepb.LayerParameter{Name: proto.String(name)}
	for i, s := range shapes {
		n := graph.Shape(s).Count()
		data := make([]float32, n)
		for k := range data {
			data[k] = base + float32(i*100+k)
		}
		l.Blobs = append(l.Blobs, EncodeBlob(s, data))
	}
	return l
}

func modelBytes(t *testing.T, layers ...*caffepb.LayerParameter) []byte {
	t.Helper()
	b, err := MarshalBinary(&caffepb.NetParameter{Name: proto.String("m"), Layer: layers})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tinyModel holds every parameter of tiny_conv.prototxt.
func tinyModel() []*caffepb.LayerParameter {
	return []*caffepb.LayerParameter{
		{Name: proto.String("data")},
		blobLayer("conv", 0, []int{3, 2, 3, 3}, []int{3}),
		blobLayer("bn", 1000, []int{3}, []int{3}, []int{1}),
		blobLayer("scale", 2000, []int{3}, []int{3}),
		blobLayer("ip", 3000, []int{4, 75}, []int{4}),
	}
}

func loadTiny(t *testing.T, opts LoadOptions, layers ...*caffepb.LayerParameter) (*Net, error) {
	t.Helper()
	text, err := os.ReadFile(tinyNet)
	if err != nil {
		t.Fatal(err)
	}
	return LoadBytes(tinyNet, text, "tiny.caffemodel", modelBytes(t, layers...), opts)
}

func TestLoadTiny(t *testing.T) {
	net, err := loadTiny(t, LoadOptions{}, tinyModel()...)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range net.Graph.Nodes {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, " "); got != "data conv bn scale ip" {
		t.Errorf("TEST nodes %q (Dropout is TRAIN-only)", got)
	}
	ipn := net.Graph.Node("ip")
	if !ipn.Params[0].Shape.Equal(graph.Shape{4, 75}) || ipn.Params[1].Data[3] != 3103 {
		t.Errorf("ip params %v / %v", ipn.Params[0].Shape, ipn.Params[1].Data)
	}
	if bn := net.Graph.Node("bn").Op.(*graph.BatchNorm); !bn.UseGlobalStats {
		t.Error("BatchNorm in TEST should use global stats")
	}
	if len(net.Param.Layer) != 5 || net.Param.State != nil || net.State.GetPhase() != caffepb.Phase_TEST {
		t.Errorf("Param has %d layers and state %v; effective state %v", len(net.Param.Layer), net.Param.GetState(), net.State)
	}

	train, err := loadTiny(t, LoadOptions{State: State{Phase: "TRAIN"}}, tinyModel()...)
	if err != nil {
		t.Fatal(err)
	}
	if train.Graph.Node("drop") == nil || train.Graph.Node("bn").Op.(*graph.BatchNorm).UseGlobalStats {
		t.Error("TRAIN: want the Dropout layer and batch statistics")
	}
}

// Load from files: the same net through the path-based entry point.
func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(dir, "tiny.caffemodel")
	if err := os.WriteFile(weights, modelBytes(t, tinyModel()...), 0o644); err != nil {
		t.Fatal(err)
	}
	net, err := Load(tinyNet, weights, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if net.Graph.Node("conv").Params[0] == nil {
		t.Fatal("conv weights not loaded")
	}
	// Reloading other weights replaces the parameters.
	alt := tinyModel()
	alt[1] = blobLayer("conv", 7, []int{3, 2, 3, 3}, []int{3})
	if err := os.WriteFile(weights, modelBytes(t, alt...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := net.LoadWeights(weights, nil); err != nil {
		t.Fatal(err)
	}
	if net.Graph.Node("conv").Params[0].Data[0] != 7 {
		t.Error("LoadWeights did not replace the parameters")
	}
	if _, err := Load(filepath.Join(dir, "nope.prototxt"), "", LoadOptions{}); err == nil {
		t.Error("missing prototxt accepted")
	}
}

func TestLoadReport(t *testing.T) {
	layers := tinyModel()
	layers = append(layers[:3:3], // drop scale and ip
		blobLayer("drop", 0, []int{1}), // TRAIN-only layer: not in the TEST net
		blobLayer("extra", 0, []int{2}),
		&caffepb.LayerParameter{Name: proto.String("no_blobs")},
		blobLayer("conv", 50, []int{3, 2, 3, 3}, []int{3}), // a later duplicate overwrites
	)
	net, err := loadTiny(t, LoadOptions{}, layers...)
	if err != nil {
		t.Fatal(err)
	}
	r := net.Report
	if strings.Join(r.Unused, ",") != "drop,extra" || strings.Join(r.Missing, ",") != "scale,ip" || len(r.Mismatch) != 0 {
		t.Errorf("report %+v", *r)
	}
	if p := net.Graph.Node("scale").Params; len(p) != 2 || p[0] != nil || p[1] != nil {
		t.Errorf("missing params should be nil entries, got %v", p)
	}
	if v := net.Graph.Node("conv").Params[0].Data[0]; v != 50 {
		t.Errorf("conv weight[0] = %g, want 50 from the later duplicate", v)
	}
}

func TestLoadMismatch(t *testing.T) {
	layers := tinyModel()
	layers[1] = blobLayer("conv", 0, []int{3, 2, 3, 3})             // bias missing
	layers[3] = blobLayer("scale", 0, []int{3}, []int{4})           // wrong shape
	layers[4] = blobLayer("ip", 0, []int{1, 1, 4, 75}, []int{1, 4}) // not legacy: must match exactly
	net, err := loadTiny(t, LoadOptions{}, layers...)
	var we *WeightsError
	if !errors.As(err, &we) {
		t.Fatalf("err = %v, want *WeightsError", err)
	}
	if net == nil || net.Report != we.Report || len(we.Report.Mismatch) != 4 {
		t.Fatalf("report %+v", we.Report)
	}
	msg := err.Error()
	for _, s := range []string{"tiny.caffemodel", `"conv"`, "expects 2", `"scale"`, "param 1", `"ip"`, "expects 4x75"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q lacks %q", msg, s)
		}
	}
}

// Legacy 4-D blob dims compare right-aligned (Caffe's ShapeEquals).
func TestLoadLegacyDims(t *testing.T) {
	legacy := func(name string, dims ...[4]int32) *caffepb.LayerParameter {
		l := &caffepb.LayerParameter{Name: proto.String(name)}
		for _, d := range dims {
			n := int(d[0] * d[1] * d[2] * d[3])
			l.Blobs = append(l.Blobs, &caffepb.BlobProto{Num: proto.Int32(d[0]), Channels: proto.Int32(d[1]),
				Height: proto.Int32(d[2]), Width: proto.Int32(d[3]), Data: make([]float32, n)})
		}
		return l
	}
	layers := tinyModel()
	layers[1] = legacy("conv", [4]int32{3, 2, 3, 3}, [4]int32{1, 1, 1, 3})
	layers[4] = legacy("ip", [4]int32{1, 1, 4, 75}, [4]int32{1, 1, 1, 4})
	net, err := loadTiny(t, LoadOptions{}, layers...)
	if err != nil {
		t.Fatal(err)
	}
	if s := net.Graph.Node("conv").Params[1].Shape; !s.Equal(graph.Shape{3}) {
		t.Errorf("legacy bias loaded with shape %v, want the net's [3]", s)
	}
	layers[4] = legacy("ip", [4]int32{1, 4, 1, 75}, [4]int32{1, 1, 1, 4})
	if _, err := loadTiny(t, LoadOptions{}, layers...); err == nil {
		t.Error("legacy 1x4x1x75 accepted for a [4 75] weight")
	}
}

func TestLoadCorruptWeights(t *testing.T) {
	text, err := os.ReadFile(tinyNet)
	if err != nil {
		t.Fatal(err)
	}
	full := modelBytes(t, tinyModel()...)
	_, err = LoadBytes(tinyNet, text, "cut.caffemodel", full[:len(full)-7], LoadOptions{})
	var be *BinaryError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "cut.caffemodel") {
		t.Errorf("truncated caffemodel: err = %v, want a *BinaryError naming the file", err)
	}
	// A blob whose data disagrees with its own shape.
	layers := tinyModel()
	layers[2].Blobs[0].Data = layers[2].Blobs[0].Data[:2]
	_, err = loadTiny(t, LoadOptions{}, layers...)
	if err == nil || !strings.Contains(err.Error(), "tiny.caffemodel") || !strings.Contains(err.Error(), `"bn" (BatchNorm) blobs[0]`) {
		t.Errorf("short blob: err = %v", err)
	}
}

func TestLoadNetErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"unknown bottom", `layer { name: "d" type: "Input" top: "d" input_param { shape { dim: 1 } } }
layer { name: "r" type: "ReLU" bottom: "x" top: "r" }`, `net.prototxt: layer "r" (ReLU) bottom[0]: unknown bottom blob "x"`},
		{"decode error", `layer { name: "c" type: "Convolution" convolution_param { num_output: 2 } }`, `net.prototxt: layer "c" (Convolution) kernel_size:`},
		{"two producers", `layer { name: "a" type: "Input" top: "d" }
layer { name: "b" type: "Input" top: "d" }`, `layer "b" (Input) top[0]`},
		{"include and exclude", `layer { name: "a" type: "ReLU" include { phase: TEST } exclude { stage: "x" } }`, `layer "a" (ReLU) include`},
		{"syntax", `layer { name: "a" type: }`, "net.prototxt:1:"},
		{"upgrade", `input: "a" input_dim: 1`, "net.prototxt: upgrade: input"},
		{"bad phase", ``, "phase"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := LoadOptions{}
			if c.name == "bad phase" {
				opts.State.Phase = "DEPLOY"
			}
			_, err := LoadBytes("net.prototxt", []byte(c.text), "", nil, opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	// Layer errors stay matchable.
	_, err := LoadBytes("net.prototxt", []byte(cases[0].text), "", nil, LoadOptions{})
	var le *graph.LayerError
	if !errors.As(err, &le) || le.Layer != "r" || le.Field != "bottom[0]" {
		t.Errorf("err = %#v, want a LayerError for r bottom[0]", err)
	}
}

// Fork fields are warnings naming file, line and field, or errors with
// Strict; fork layers read their parameters from them.
func TestLoadForkFields(t *testing.T) {
	text := `layer { name: "d" type: "Input" top: "d" input_param { shape { dim: 1 dim: 2 dim: 4 dim: 4 } } }
layer { name: "up" type: "Interp" bottom: "d" top: "up"
  interp_param { zoom_factor: 2 } }
`
	net, err := LoadBytes("fork.prototxt", []byte(text), "", nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Warnings) != 1 || !strings.Contains(net.Warnings[0], "fork.prototxt:3:") || !strings.Contains(net.Warnings[0], "interp_param") {
		t.Errorf("warnings %q", net.Warnings)
	}
	if op := net.Graph.Node("up").Op.(*graph.Interp); op.ZoomFactor != 2 {
		t.Errorf("interp op %+v", op)
	}
	if _, err := LoadBytes("fork.prototxt", []byte(text), "", nil, LoadOptions{Strict: true}); err == nil {
		t.Error("Strict accepted a fork field")
	}
	var buf strings.Builder
	if err := WriteTextUnknown(&buf, net.Param, net.Text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "interp_param {\n    zoom_factor: 2\n  }") {
		t.Errorf("rewritten net lost interp_param:\n%s", buf.String())
	}
}

func TestLoadParamSharing(t *testing.T) {
	const head = `layer { name: "d" type: "Input" top: "a" top: "b" input_param { shape { dim: 1 dim: 2 dim: 3 dim: 3 } } }
`
	conv := func(name, bottom, extra string) string {
		return `layer { name: "` + name + `" type: "Convolution" bottom: "` + bottom + `" top: "` + name + `" ` + extra +
			` convolution_param { num_output: 2 kernel_size: 1 } }
`
	}
	shared := head + conv("c1", "a", `param { name: "w" } param { name: "b" }`) + conv("c2", "b", `param { name: "w" } param { name: "b" }`)
	// Only the sharer is in the caffemodel: writing it writes the owner.
	net, err := LoadBytes("s.prototxt", []byte(shared), "s.caffemodel",
		modelBytes(t, blobLayer("c2", 9, []int{2, 2, 1, 1}, []int{2})), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := net.Graph.Node("c1"), net.Graph.Node("c2")
	if c1.Params[0] != c2.Params[0] || c1.Params[0].Data[0] != 9 || len(net.Report.Missing) != 0 {
		t.Errorf("sharing: c1 %v c2 %v, report %+v", c1.Params, c2.Params, *net.Report)
	}
	// Strict sharing needs equal shapes.
	bad := head + conv("c1", "a", `param { name: "w" }`) +
		`layer { name: "c2" type: "Convolution" bottom: "b" top: "c2" param { name: "w" } convolution_param { num_output: 4 kernel_size: 1 } }`
	_, err = LoadBytes("s.prototxt", []byte(bad), "s.caffemodel", modelBytes(t), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), `cannot share param "w"`) {
		t.Errorf("shape mismatch in sharing: %v", err)
	}
	// PERMISSIVE only needs equal counts: [2,2,1,1] and [4,1,1,1] share storage.
	perm := head + conv("c1", "a", `param { name: "w" }`) +
		`layer { name: "r" type: "Reshape" bottom: "b" top: "r" reshape_param { shape { dim: 1 dim: 1 dim: 6 dim: 3 } } }
layer { name: "c2" type: "Convolution" bottom: "r" top: "c2" param { name: "w" share_mode: PERMISSIVE } convolution_param { num_output: 4 kernel_size: 1 } }`
	net, err = LoadBytes("s.prototxt", []byte(perm), "s.caffemodel",
		modelBytes(t, blobLayer("c1", 1, []int{2, 2, 1, 1}, []int{2})), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 = net.Graph.Node("c1"), net.Graph.Node("c2")
	if !c2.Params[0].Shape.Equal(graph.Shape{4, 1, 1, 1}) || &c2.Params[0].Data[0] != &c1.Params[0].Data[0] {
		t.Errorf("permissive sharing: c2 weight %v", c2.Params[0])
	}
	// More param entries than blobs is an error, as in Caffe.
	many := head + conv("c1", "a", `param { } param { } param { }`)
	if _, err := LoadBytes("s.prototxt", []byte(many), "s.caffemodel", modelBytes(t), LoadOptions{}); err == nil ||
		!strings.Contains(err.Error(), "too many params") {
		t.Errorf("too many params: %v", err)
	}
}

// A data layer whose shape is in its database stops shape inference: the
// weights after it are loaded as declared, reported as unchecked; giving
// the input shape makes them checked.
func TestLoadUncheckedWeights(t *testing.T) {
	text := `layer { name: "d" type: "Data" top: "d" data_param { batch_size: 1 } }
layer { name: "ip" type: "InnerProduct" bottom: "d" top: "ip" inner_product_param { num_output: 2 } }
layer { name: "x" type: "Input" top: "x" input_param { shape { dim: 1 dim: 5 } } }
layer { name: "ip2" type: "InnerProduct" bottom: "x" top: "ip2" inner_product_param { num_output: 3 } }`
	model := modelBytes(t, blobLayer("ip", 0, []int{2, 12}, []int{2}), blobLayer("ip2", 0, []int{3, 5}, []int{3}))
	net, err := LoadBytes("u.prototxt", []byte(text), "u.caffemodel", model, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(net.Report.Unchecked, ",") != "ip" || len(net.Warnings) == 0 {
		t.Errorf("report %+v warnings %q", *net.Report, net.Warnings)
	}
	if p := net.Graph.Node("ip").Params; len(p) != 2 || !p[0].Shape.Equal(graph.Shape{2, 12}) {
		t.Errorf("unchecked params %v", p)
	}
	// The independent branch after the failure is still checked.
	bad := modelBytes(t, blobLayer("ip", 0, []int{2, 12}, []int{2}), blobLayer("ip2", 0, []int{3, 6}, []int{3}))
	if _, err := LoadBytes("u.prototxt", []byte(text), "u.caffemodel", bad, LoadOptions{}); err == nil {
		t.Error("a wrong ip2 weight after the failing data layer was accepted")
	}
	net, err = LoadBytes("u.prototxt", []byte(text), "u.caffemodel", model, LoadOptions{Inputs: map[string]graph.Shape{"d": {1, 3, 2, 2}}})
	if err != nil || len(net.Report.Unchecked) != 0 {
		t.Fatalf("with --input: err %v report %+v", err, net.Report)
	}
	_, err = LoadBytes("u.prototxt", []byte(text), "u.caffemodel", model, LoadOptions{Inputs: map[string]graph.Shape{"d": {1, 3, 2, 3}}})
	var we *WeightsError
	if !errors.As(err, &we) {
		t.Errorf("with a wrong input shape: %v, want *WeightsError", err)
	}
}

// A caffemodel exported from the graph loads back to the same parameters.
func TestExportWeightsRoundTrip(t *testing.T) {
	net, err := loadTiny(t, LoadOptions{}, tinyModel()...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := net.ExportWeights(net.Graph)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(tinyNet)
	again, err := LoadBytes(tinyNet, text, "again.caffemodel", b, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := again.Report; len(r.Missing)+len(r.Unused)+len(r.Mismatch) != 0 {
		t.Errorf("report %+v", *r)
	}
	for i, n := range net.Graph.Nodes {
		m := again.Graph.Nodes[i]
		for j := range n.Params {
			if !n.Params[j].Shape.Equal(m.Params[j].Shape) || !reflect.DeepEqual(n.Params[j].Data, m.Params[j].Data) {
				t.Errorf("%s param %d differs after the round trip", n.Name, j)
			}
		}
	}
	// Unloaded parameters cannot be written.
	net.Graph.Node("ip").Params[1] = nil
	if _, err := net.ExportWeights(net.Graph); err == nil {
		t.Error("a missing parameter was written")
	}
}

// Top-level inputs without dims: Caffe drops them and fails on the first
// reader; Load keeps them as a shapeless Input layer (Strict: as Caffe).
func TestLoadShapelessInputs(t *testing.T) {
	text := `input: "x"
layer { name: "r" type: "ReLU" bottom: "x" top: "r" }`
	net, err := LoadBytes("in.prototxt", []byte(text), "", nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := net.Graph.Nodes[0]
	if in.Name != "input" || in.Type != "Input" || len(in.Tops) != 1 || in.Tops[0].Blob != "x" {
		t.Fatalf("first node %s (%s)", in.Name, in.Type)
	}
	if len(net.Warnings) != 1 || !strings.Contains(net.Warnings[0], `"x"`) {
		t.Errorf("warnings %q", net.Warnings)
	}
	if err := net.Graph.InferShapes(map[string]graph.Shape{"x": {1, 2}}); err != nil {
		t.Errorf("with the shape given: %v", err)
	}
	if _, err := LoadBytes("in.prototxt", []byte(text), "", nil, LoadOptions{Strict: true}); err == nil ||
		!strings.Contains(err.Error(), `unknown bottom blob "x"`) {
		t.Errorf("Strict: %v", err)
	}
}

// SegNet's pad_out_h: the unpooled height is one short of 2*H.
func TestLoadUpsamplePadOut(t *testing.T) {
	text := `layer { name: "in" type: "Input" top: "x" top: "mask" input_param { shape { dim: 1 dim: 2 dim: 3 dim: 4 } } }
layer { name: "up" type: "Upsample" bottom: "x" bottom: "mask" top: "up" upsample_param { scale: 2 pad_out_h: true } }`
	net, err := LoadBytes("up.prototxt", []byte(text), "", nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Graph.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	if s := net.Graph.Blob("up").Shape; !s.Equal(graph.Shape{1, 2, 5, 8}) {
		t.Errorf("upsampled shape %v, want 1x2x5x8", s)
	}
}
