package caffe

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

func TestFormatFloat32(t *testing.T) {
	for f, want := range map[float32]string{
		1:                           "1",
		0:                           "0",
		-2.5:                        "-2.5",
		0.00390625:                  "0.00390625",
		1e-5:                        "1e-05",
		0.999:                       "0.999",
		0.1:                         "0.1",
		2.0 / 3:                     "0.666666687",
		1e6:                         "1e+06",
		123456789:                   "123456792",
		1e-10:                       "1e-10",
		float32(math.Inf(1)):        "inf",
		float32(math.Inf(-1)):       "-inf",
		math.MaxFloat32:             "3.40282347e+38",
		math.SmallestNonzeroFloat32: "1.4013e-45",
	} {
		if got := FormatFloat32(f); got != want {
			t.Errorf("FormatFloat32(%g) = %q, want %q", f, got, want)
		}
	}
	if got := FormatFloat32(float32(math.NaN())); got != "nan" {
		t.Errorf("NaN: %q", got)
	}
}

func TestWriteTextLayout(t *testing.T) {
	net := &caffepb.NetParameter{
		Name: proto.String("t\"q'\n\x01é"),
		Layer: []*caffepb.LayerParameter{{
			Name:   proto.String("c"),
			Type:   proto.String("Convolution"),
			Bottom: []string{"a"},
			Top:    []string{"c"},
			Param:  []*caffepb.ParamSpec{{LrMult: proto.Float32(1)}, {LrMult: proto.Float32(2), DecayMult: proto.Float32(0)}},
			ConvolutionParam: &caffepb.ConvolutionParameter{
				NumOutput: proto.Uint32(8), KernelSize: []uint32{3, 1}, Group: proto.Uint32(2),
				Stride:       []uint32{2},
				WeightFiller: &caffepb.FillerParameter{Type: proto.String("gaussian"), Std: proto.Float32(0.01)},
			},
			Phase: caffepb.Phase_TEST.Enum(),
		}},
		Input:         []string{"legacy"},
		ForceBackward: proto.Bool(true),
	}
	// Fields in number order (C++ TextFormat): name 1, input 3,
	// force_backward 5, layer 100; inside the layer phase (10) after param
	// (6), group (5) before stride (6).
	want := `name: "t\"q\'\n\001\303\251"
input: "legacy"
force_backward: true
layer {
  name: "c"
  type: "Convolution"
  bottom: "a"
  top: "c"
  param {
    lr_mult: 1
  }
  param {
    lr_mult: 2
    decay_mult: 0
  }
  phase: TEST
  convolution_param {
    num_output: 8
    kernel_size: 3
    kernel_size: 1
    group: 2
    stride: 2
    weight_filler {
      type: "gaussian"
      std: 0.01
    }
  }
}
`
	var buf bytes.Buffer
	if err := WriteText(&buf, net); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s\n%s", buf.String(), want, firstDiff(buf.String(), want))
	}
	// And our parser reads it back to the same message.
	back := &caffepb.NetParameter{}
	if _, err := ParseText("w", buf.Bytes(), back, TextOptions{Strict: true}); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(back, net) {
		t.Error("text round trip changed the message")
	}
}

func TestWriteBinaryRoundTrip(t *testing.T) {
	net := &caffepb.NetParameter{Name: proto.String("b"), Layer: []*caffepb.LayerParameter{
		{Name: proto.String("ip"), Blobs: []*caffepb.BlobProto{EncodeBlob([]int{2, 1}, []float32{1.5, -2})}},
	}}
	var buf bytes.Buffer
	if err := WriteBinary(&buf, net); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeNet("b", buf.Bytes())
	if err != nil || !proto.Equal(back, net) {
		t.Fatalf("round trip: %v", err)
	}
	again, _ := MarshalBinary(net)
	if !bytes.Equal(again, buf.Bytes()) {
		t.Error("MarshalBinary is not deterministic")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.prototxt")
	if err := WriteFileAtomic(p, []byte("one"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil || string(data) != "two" {
		t.Fatalf("content %q, err %v", data, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestSameFile(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Link(a, link); err != nil {
		t.Skip("hard links unsupported:", err)
	}
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte("x"), 0o644)
	for _, c := range []struct {
		out    string
		inputs []string
		want   bool
	}{
		{a, []string{a}, true},
		{filepath.Join(dir, ".", "a"), []string{"", a}, true},
		{link, []string{other, a}, true},
		{other, []string{a}, false},
		{filepath.Join(dir, "new"), []string{a}, false},
		{a, []string{filepath.Join(dir, "gone")}, false},
	} {
		got, err := SameFile(c.out, c.inputs...)
		if err != nil || got != c.want {
			t.Errorf("SameFile(%s, %v) = %v, %v; want %v", c.out, c.inputs, got, err, c.want)
		}
	}
}

// Every zoo prototxt written back (fork fields included) parses to the same
// message with the same skipped fields.
func TestWriteTextZooRoundTrip(t *testing.T) {
	root := sharedRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "zoo", "*", "*.prototxt"))
	if len(files) == 0 {
		t.Fatal("no zoo files")
	}
	for _, f := range files {
		net, res := parseNetFile(t, f)
		text := MarshalText(net, res)
		back := &caffepb.NetParameter{}
		res2, err := ParseText(f+" (rewritten)", text, back, TextOptions{})
		if err != nil {
			t.Errorf("%s: rewritten text does not parse: %v", f, err)
			continue
		}
		if !proto.Equal(back, net) {
			t.Errorf("%s: rewritten text parses to another message", f)
		}
		if len(res2.Warnings) != len(res.Warnings) {
			t.Errorf("%s: %d skipped fields, %d after rewriting", f, len(res.Warnings), len(res2.Warnings))
		}
		if again := MarshalText(back, res2); !bytes.Equal(again, text) {
			t.Errorf("%s: writing is not stable: %s", f, firstDiff(string(again), string(text)))
		}
	}
}
