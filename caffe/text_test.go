package caffe

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/caffetool/caffetool/proto/caffepb"
)

func parseNet(t *testing.T, src string) (*caffepb.NetParameter, *TextResult) {
	t.Helper()
	net := &caffepb.NetParameter{}
	res, err := ParseText("test.prototxt", []byte(src), net, TextOptions{})
	if err != nil {
		t.Fatalf("ParseText: %v\ninput:\n%s", err, src)
	}
	return net, res
}

func TestParseTextBasicNet(t *testing.T) {
	net, res := parseNet(t, `
name: "tiny"   # a comment
input: "data"
input_dim: 1 input_dim: 3
input_dim: 0x10; input_dim: 010,
layer {
  name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  param { lr_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
  convolution_param {
    num_output: 64
    kernel_size: [3, 3]
    weight_filler { type: "gaussian" std: 0.01 }
    bias_term: false
  }
}
layer: < name: 'relu1' type: "ReLU" bottom: "conv1" top: "conv1" >
`)
	if len(res.Warnings) != 0 || len(res.Unknown) != 0 {
		t.Fatalf("unexpected warnings %v / unknown %v", res.Warnings, res.Unknown)
	}
	if net.GetName() != "tiny" || len(net.Input) != 1 {
		t.Errorf("name/input = %q/%v", net.GetName(), net.Input)
	}
	if want := []int32{1, 3, 16, 8}; !equalInts(net.InputDim, want) {
		t.Errorf("input_dim = %v, want %v (hex and octal)", net.InputDim, want)
	}
	if len(net.Layer) != 2 {
		t.Fatalf("got %d layers", len(net.Layer))
	}
	c := net.Layer[0]
	if len(c.Param) != 2 || c.Param[1].GetLrMult() != 2 || c.Param[1].GetDecayMult() != 0 || c.Param[0].DecayMult != nil {
		t.Errorf("param = %v", c.Param)
	}
	cp := c.GetConvolutionParam()
	if cp.GetNumOutput() != 64 || !equalInts(cp.KernelSize, []uint32{3, 3}) || cp.GetBiasTerm() ||
		cp.GetWeightFiller().GetType() != "gaussian" || cp.GetWeightFiller().GetStd() != float32(0.01) {
		t.Errorf("convolution_param = %v", cp)
	}
	if l := net.Layer[1]; l.GetName() != "relu1" || l.GetTop()[0] != "conv1" {
		t.Errorf("layer 1 = %v", l)
	}
}

func equalInts[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseTextScalars(t *testing.T) {
	floats := []struct {
		in   string
		want float32
	}{
		{"1", 1}, {"-2", -2}, {"1.5", 1.5}, {"1e-3", 1e-3}, {"2.5E2", 250}, {".5", 0.5}, {"3.", 3},
		{"1.5f", 1.5}, {"2F", 2}, {"- 4", -4}, {"inf", float32(math.Inf(1))}, {"-Infinity", float32(math.Inf(-1))},
		{"1e39", float32(math.Inf(1))}, {"-1e300", float32(math.Inf(-1))}, {"0.1", float32(0.1)},
	}
	for _, c := range floats {
		net, _ := parseNet(t, "layer { loss_weight: "+c.in+" }")
		if got := net.Layer[0].LossWeight[0]; got != c.want {
			t.Errorf("float %q = %v, want %v", c.in, got, c.want)
		}
	}
	net, _ := parseNet(t, "layer { loss_weight: nan loss_weight: -0 }")
	if lw := net.Layer[0].LossWeight; !math.IsNaN(float64(lw[0])) || !math.Signbit(float64(lw[1])) {
		t.Errorf("nan/-0 = %v", lw)
	}

	bools := map[string]bool{"true": true, "True": true, "t": true, "1": true, "false": false, "False": false, "f": false, "0": false}
	for in, want := range bools {
		net, _ := parseNet(t, "force_backward: "+in)
		if net.ForceBackward == nil || *net.ForceBackward != want {
			t.Errorf("bool %q = %v, want %v", in, net.ForceBackward, want)
		}
	}

	// Enums by name and by number, int64, double and bytes fields.
	net, _ = parseNet(t, `layer { phase: TEST include { phase: 0 } pooling_param { pool: 1 } }`)
	l := net.Layer[0]
	if l.GetPhase() != caffepb.Phase_TEST || l.Include[0].GetPhase() != caffepb.Phase_TRAIN ||
		l.GetPoolingParam().GetPool() != caffepb.PoolingParameter_AVE {
		t.Errorf("enums: %v", l)
	}
	blob := &caffepb.BlobProto{}
	if _, err := ParseText("b", []byte(`shape { dim: -9223372036854775808 dim: 9223372036854775807 }
		double_data: [1e308, -2.5] raw_data: "\x01\002\u00e9" 'a\'b' "\n"`), blob, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if d := blob.Shape.Dim; d[0] != math.MinInt64 || d[1] != math.MaxInt64 {
		t.Errorf("int64 dims = %v", d)
	}
	if blob.DoubleData[0] != 1e308 || blob.DoubleData[1] != -2.5 {
		t.Errorf("double_data = %v", blob.DoubleData)
	}
	if got, want := string(blob.RawData), "\x01\x02\u00e9a'b\n"; got != want {
		t.Errorf("raw_data = %q, want %q", got, want)
	}
}

func TestParseTextErrors(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"name: \"x\"\nlayer {\n  name: 3\n}", 3, 9, "expected a quoted string"},
		{"layer {\n  type: \"A\"\n", 3, 1, `"{" opened at line 1 column 7 is not closed`},
		{"layer { convolution_param { num_output: -1 } }", 1, 41, "negative value -1"},
		{"layer { convolution_param { num_output: 4294967296 } }", 1, 41, "out of range"},
		{"input_dim: 2147483648", 1, 12, "out of range"},
		{"input_dim: -2147483649", 1, 12, "out of range"},
		{"input_dim: 1.5", 1, 12, "expected an integer"},
		{"force_backward: yes", 1, 17, "expected true or false"},
		{"force_backward: 2", 1, 17, "expected true or false"},
		{"layer { loss_weight: 0x10 }", 1, 22, "decimal number"},
		{"layer { loss_weight: abc }", 1, 22, "expected a number"},
		{"layer { phase: \"TEST\" }", 1, 16, "expected an unquoted enum value"},
		{"name \"x\"", 1, 6, `expected ":" after field "name"`},
		{"layer name: \"x\"", 1, 7, `expected "{" for message field "layer"`},
		{"name: \"x\" name: \"y\"", 1, 11, "specified more than once"},
		{"state { phase: TEST } state { }", 1, 23, "specified more than once"},
		{"name: [\"a\"]", 1, 5, "not repeated"},
		{"input_dim: [1 2]", 1, 15, `expected "," or "]"`},
		{"name: \"abc", 1, 7, "not terminated"},
		{"name: \"a\nb\"", 1, 7, "not terminated"},
		{"name: \"a\\qb\"", 1, 9, "invalid escape"},
		{"input_dim: 09", 1, 12, "not octal"},
		{"input_dim: 12abc", 1, 12, "space is needed"},
		{"input_dim: 1e", 1, 12, "exponent"},
		{"layer { } }", 1, 11, "expected a field name"},
		{"name: \"x\" @", 1, 11, "unexpected character '@'"},
		{"layer { name: \"a\" [ext.foo]: 1 }", 1, 19, "extension"},
		{"layer { top: }", 1, 14, "expected a value"},
		{"layer < name: \"a\" }", 1, 19, "expected a field name"},
	}
	for _, c := range cases {
		_, err := ParseText("bad.prototxt", []byte(c.src), &caffepb.NetParameter{}, TextOptions{})
		var te *TextError
		if !errors.As(err, &te) {
			t.Errorf("%q: error %v is not a *TextError", c.src, err)
			continue
		}
		if te.File != "bad.prototxt" || te.Line != c.line || te.Col != c.col || !strings.Contains(te.Msg, c.msg) {
			t.Errorf("%q: got %v, want bad.prototxt:%d:%d: ...%s...", c.src, err, c.line, c.col, c.msg)
		}
		if s := err.Error(); strings.Contains(s, "\n") || !strings.HasPrefix(s, "bad.prototxt:") {
			t.Errorf("%q: error text %q is not one located line", c.src, s)
		}
	}
}

func TestParseTextStringsAndSeparators(t *testing.T) {
	net, _ := parseNet(t, `name: "a" 'b' # joined across a comment
	"c\tq\"\x41\101\u00e9" ;
	layer { name: "l" ; top: "x", top: "y"; bottom: [ "p" , 'q' ] , }
	layer [ { name: "m" }, < name: "n" > ]
	layer [ ]
	input: []`)
	if got, want := net.GetName(), "abc\tq\"AA\u00e9"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if len(net.Layer) != 3 || net.Layer[1].GetName() != "m" || net.Layer[2].GetName() != "n" {
		t.Fatalf("layers = %v", net.Layer)
	}
	if l := net.Layer[0]; !equalInts(l.Top, []string{"x", "y"}) || !equalInts(l.Bottom, []string{"p", "q"}) {
		t.Errorf("layer 0 = %v", l)
	}
}

// Every accepted construct must give the same message as the reference
// parser (prototext), which the zoo test checks on real files too.
func TestParseTextMatchesPrototext(t *testing.T) {
	src := `name: "net" input: "data" input_shape { dim: [1, 3, 224, 224] }
layer { name: "c" type: "Convolution" bottom: "data" top: "c" phase: TEST
  param { lr_mult: 1.0 decay_mult: 0 } param { name: "shared" share_mode: PERMISSIVE }
  convolution_param { num_output: 8 pad: 1 kernel_size: 3 stride: [2] weight_filler { type: 'xavier' } }
  include { phase: TRAIN stage: "a" stage: "b" min_level: -2 } }
layer { name: "p" type: "Pooling" pooling_param: { pool: AVE global_pooling: true } loss_weight: [1, 0.5, 1e-2] }
state: < phase: TEST level: 3 >
`
	ours := &caffepb.NetParameter{}
	if _, err := ParseText("x", []byte(src), ours, TextOptions{Strict: true}); err != nil {
		t.Fatal(err)
	}
	ref := &caffepb.NetParameter{}
	if err := prototext.Unmarshal([]byte(src), ref); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(ours, ref) {
		t.Errorf("differs from prototext:\nours: %v\nref:  %v", ours, ref)
	}
}

const forkNet = `name: "fork"
layer {
  name: "pool1" type: "Pooling"
  pooling_param { pool: MAX kernel_size: 3 stride: 2 ceil_mode: false }
}
layer {
  type: "Interp"
  interp_param { height: 33 width: 0x21 zoom_factor: -2 pad_beg: 0 shrink { a: "x" b: [1.5, inf] } }
  interp_param { height: 7 }
  name: "up"
}
layers { name: "bn" type: BN bn_param { scale_filler { type: "constant" value: 1 } } }
relu6: true
`

func TestParseTextUnknownFields(t *testing.T) {
	net, res := parseNet(t, forkNet)

	want := []struct {
		line, col int
		path, msg string
	}{
		{4, 54, "layer[0](pool1).pooling_param.ceil_mode", `unknown field "ceil_mode" in caffe.PoolingParameter`},
		{8, 3, "layer[1](up).interp_param", `unknown field "interp_param" in caffe.LayerParameter`},
		{9, 3, "layer[1](up).interp_param", `unknown field "interp_param"`},
		{12, 27, "layers[0](bn).type", `unknown value "BN" for enum caffe.V1LayerParameter.LayerType`},
		{12, 30, "layers[0](bn).bn_param", `unknown field "bn_param" in caffe.V1LayerParameter`},
		{13, 1, "relu6", `unknown field "relu6" in caffe.NetParameter`},
	}
	if len(res.Warnings) != len(want) {
		t.Fatalf("got %d warnings, want %d: %v", len(res.Warnings), len(want), res.Warnings)
	}
	for i, w := range want {
		g := res.Warnings[i]
		if g.File != "test.prototxt" || g.Line != w.line || g.Col != w.col || g.Path != w.path || !strings.Contains(g.Msg, w.msg) {
			t.Errorf("warning %d = %v, want %d:%d %s: %s", i, g, w.line, w.col, w.path, w.msg)
		}
	}
	if s := res.Warnings[0].String(); !strings.HasPrefix(s, "test.prototxt:4:54: layer[0](pool1).pooling_param.ceil_mode: ") {
		t.Errorf("warning text %q", s)
	}

	// The known parts around the unknown ones are intact.
	pool := net.Layer[0].GetPoolingParam()
	if pool.GetKernelSize() != 3 || pool.GetStride() != 2 || net.Layer[1].GetName() != "up" {
		t.Errorf("known fields lost: %v", net)
	}
	if v1 := net.Layers[0]; v1.Type != nil || v1.GetName() != "bn" {
		t.Errorf("V1 layer with unknown type = %v", v1)
	}

	// The skipped fields are readable by the message they sat in.
	ceil := res.UnknownField(pool, "ceil_mode")
	if b, err := ceil.Bool(); err != nil || b || ceil.Line != 4 {
		t.Errorf("ceil_mode = %+v, %v, %v", ceil, b, err)
	}
	if res.UnknownField(net.Layer[0], "ceil_mode") != nil {
		t.Error("ceil_mode is keyed by the layer instead of its pooling_param")
	}
	interps := res.UnknownFields(net.Layer[1])
	if len(interps) != 2 || !interps[0].Message || interps[1].Field("height").Value != "7" {
		t.Fatalf("interp_param entries = %v", interps)
	}
	ip := res.UnknownField(net.Layer[1], "interp_param")
	for name, want := range map[string]int64{"height": 33, "width": 33, "zoom_factor": -2, "pad_beg": 0} {
		if v, err := ip.Field(name).Int(); err != nil || v != want {
			t.Errorf("interp_param.%s = %d, %v; want %d", name, v, err, want)
		}
	}
	shrink := ip.Field("shrink")
	if shrink.Field("a").Value != "x" || len(shrink.Fields("b")) != 2 {
		t.Errorf("nested unknown block = %+v", shrink)
	}
	if f, err := shrink.Fields("b")[1].Float(); err != nil || !math.IsInf(f, 1) {
		t.Errorf("b[1] = %v, %v", f, err)
	}
	if _, err := ip.Int(); err == nil {
		t.Error("Int of a message succeeded")
	}
	if _, err := shrink.Field("a").Int(); err == nil || !strings.Contains(err.Error(), "a (line 8") {
		t.Errorf("Int of \"x\": %v", err)
	}
	if _, err := ip.Field("missing").Float(); err == nil {
		t.Error("Float of an absent field succeeded")
	}
	if u := res.UnknownField(net.Layers[0], "type"); u == nil || u.Value != "BN" || u.Message {
		t.Errorf("unknown enum value = %+v", u)
	}
	bn := res.UnknownField(net.Layers[0], "bn_param").Field("scale_filler")
	if v, err := bn.Field("value").Float(); err != nil || v != 1 || bn.Field("type").Value != "constant" {
		t.Errorf("bn_param.scale_filler = %+v", bn)
	}
	if u := res.UnknownField(net, "relu6"); u == nil || u.Value != "true" {
		t.Errorf("top-level unknown = %+v", u)
	}

	// A rebuilt message takes the unknown fields along.
	repl := &caffepb.LayerParameter{Name: proto.String("bn")}
	res.MoveUnknown(net.Layers[0], repl)
	if len(res.UnknownFields(net.Layers[0])) != 0 || len(res.UnknownFields(repl)) != 2 {
		t.Errorf("MoveUnknown left %v / moved %v", res.UnknownFields(net.Layers[0]), res.UnknownFields(repl))
	}
	var nilRes *TextResult
	if nilRes.UnknownFields(net) != nil || nilRes.UnknownField(net, "x") != nil {
		t.Error("nil TextResult is not empty")
	}
}

func TestParseTextWarningPathV0(t *testing.T) {
	_, res := parseNet(t, "layers { layer { name: \"conv1\" ceil_mode: false } }")
	if len(res.Warnings) != 1 || res.Warnings[0].Path != "layers[0].layer(conv1).ceil_mode" {
		t.Errorf("warnings = %v", res.Warnings)
	}
}

func TestParseTextStrict(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"layer {\n pooling_param { ceil_mode: true } }", 2, 18, `unknown field "ceil_mode" in caffe.PoolingParameter`},
		{"layers { type: BN }", 1, 16, `unknown value "BN"`},
		{"layers { type: 99 }", 1, 16, `unknown value "99"`},
	} {
		_, err := ParseText("s", []byte(c.src), &caffepb.NetParameter{}, TextOptions{Strict: true})
		var te *TextError
		if !errors.As(err, &te) || te.Line != c.line || te.Col != c.col || !strings.Contains(te.Msg, c.msg) {
			t.Errorf("%q strict: %v, want s:%d:%d: %s", c.src, err, c.line, c.col, c.msg)
		}
	}
}

func TestParseTextDepthCap(t *testing.T) {
	deep := strings.Repeat("x { ", 150) + strings.Repeat("} ", 150)
	_, err := ParseText("deep", []byte("layer { "+deep+"}"), &caffepb.NetParameter{}, TextOptions{})
	var te *TextError
	if !errors.As(err, &te) || !strings.Contains(te.Msg, "deeper than 100") || te.Col != 9+4*99+2 {
		t.Errorf("deep unknown nesting: %v", err)
	}
	// Known nesting counts too: layer > convolution_param > weight_filler is 3.
	src := []byte("layer { convolution_param { weight_filler { std: 1 } } }")
	if _, err := ParseText("d", src, &caffepb.NetParameter{}, TextOptions{MaxDepth: 2}); err == nil ||
		!strings.Contains(err.Error(), "d:1:43: messages nested deeper than 2") {
		t.Errorf("MaxDepth 2: %v", err)
	}
	if _, err := ParseText("d", src, &caffepb.NetParameter{}, TextOptions{MaxDepth: 3}); err != nil {
		t.Errorf("MaxDepth 3: %v", err)
	}
}

func TestParseTextResetsMessage(t *testing.T) {
	net := &caffepb.NetParameter{Name: proto.String("old"), Input: []string{"x"}}
	if _, err := ParseText("r", []byte(`input: "y"`), net, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if net.Name != nil || !equalInts(net.Input, []string{"y"}) {
		t.Errorf("message not reset: %v", net)
	}
	if _, err := ParseText("r", nil, (*caffepb.NetParameter)(nil), TextOptions{}); err == nil {
		t.Error("nil message pointer accepted")
	}
}

func TestReadTextTestdata(t *testing.T) {
	dir := filepath.Join("..", "testdata", "text")
	files, err := filepath.Glob(filepath.Join(dir, "*.prototxt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test prototxts in %s: %v", dir, err)
	}
	for _, f := range files {
		net := &caffepb.NetParameter{}
		res, err := ReadText(f, net, TextOptions{})
		base := filepath.Base(f)
		switch {
		case strings.HasPrefix(base, "bad_"):
			// The expected location is in the file's first line: "# error: L:C".
			data, _ := os.ReadFile(f)
			first, _, _ := strings.Cut(string(data), "\n")
			want := strings.TrimSpace(strings.TrimPrefix(first, "# error:"))
			if err == nil || !strings.Contains(err.Error(), f+":"+want+":") {
				t.Errorf("%s: error %v, want one at %s", base, err, want)
			}
		case err != nil:
			t.Errorf("%s: %v", base, err)
		case !equalToPrototext(t, f, net):
			t.Errorf("%s: differs from prototext", base)
		case strings.HasPrefix(base, "fork_") && len(res.Warnings) == 0:
			t.Errorf("%s: no warnings for fork fields", base)
		case !strings.HasPrefix(base, "fork_") && len(res.Warnings) != 0:
			t.Errorf("%s: unexpected warnings %v", base, res.Warnings)
		}
	}
	if _, err := ReadText(filepath.Join(dir, "does-not-exist.prototxt"), &caffepb.NetParameter{}, TextOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// equalToPrototext reports whether the reference parser, which must accept
// the file, reads it as msg.
func equalToPrototext(t *testing.T, file string, msg proto.Message) bool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ref := msg.ProtoReflect().New().Interface()
	if err := (prototext.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, ref); err != nil {
		t.Errorf("%s: prototext: %v", file, err)
		return false
	}
	return proto.Equal(msg, ref)
}

// FuzzParseText checks that no input makes the parser panic or return an
// error that is not located.
func FuzzParseText(f *testing.F) {
	f.Add([]byte(forkNet))
	f.Add([]byte(`layer { name: "a" 'b' convolution_param < kernel_size: [1, 2] > loss_weight: -inf }`))
	f.Add([]byte("input_dim: 0x7fffffff input_dim: -010 name: \"\\u00e9\\x4\\1\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ParseText("f", data, &caffepb.NetParameter{}, TextOptions{})
		var te *TextError
		if err != nil && !errors.As(err, &te) {
			t.Fatalf("error %v is not a *TextError", err)
		}
	})
}
