package caffe_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// BenchmarkParseInferResNet152 parses ResNet-152's deploy prototxt,
// upgrades, decodes and infers every shape.
func BenchmarkParseInferResNet152(b *testing.B) {
	path := filepath.Join(sharedDir(b), "zoo", "resnet", "ResNet-152-deploy.prototxt")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		net, err := caffe.LoadBytes(path, data, "", nil, caffe.LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := net.Graph.InferShapes(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// bigModel writes a caffemodel of about mb megabytes for a one-layer
// InnerProduct net and returns the prototxt and caffemodel paths.
func bigModel(tb testing.TB, mb int) (string, string) {
	dir := tb.TempDir()
	k := 4096
	n := mb << 20 / 4 / k
	text := []byte(`name: "big"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4096 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: ` + itoa(n) + ` bias_term: false } }
`)
	w := make([]float32, n*k)
	for i := range w {
		w[i] = float32(i%1000) * 1e-3
	}
	model := &caffepb.NetParameter{Name: proto.String("big"), Layer: []*caffepb.LayerParameter{{
		Name: proto.String("fc"), Type: proto.String("InnerProduct"),
		Blobs: []*caffepb.BlobProto{caffe.EncodeBlob([]int{n, k}, w)},
	}}}
	data, err := caffe.MarshalBinary(model)
	if err != nil {
		tb.Fatal(err)
	}
	tp, mp := filepath.Join(dir, "big.prototxt"), filepath.Join(dir, "big.caffemodel")
	if err := os.WriteFile(tp, text, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(mp, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return tp, mp
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if len(b) == 0 {
		return "0"
	}
	return string(b)
}

// BenchmarkLoadLargeCaffemodel loads a synthesized 520 MB caffemodel and
// reports its time as a ratio to a raw read of the same file (the target
// is within 3x). Opt-in with CAFFETOOL_BIG=1: it needs ~2 GB of memory.
func BenchmarkLoadLargeCaffemodel(b *testing.B) {
	if os.Getenv("CAFFETOOL_BIG") == "" {
		b.Skip("set CAFFETOOL_BIG=1 to synthesize and load a 520 MB caffemodel")
	}
	tp, mp := bigModel(b, 520)
	var raw, load time.Duration
	for b.Loop() {
		t0 := time.Now()
		data, err := os.ReadFile(mp)
		if err != nil {
			b.Fatal(err)
		}
		raw += time.Since(t0)
		_ = data
		data = nil
		t1 := time.Now()
		net, err := caffe.Load(tp, mp, caffe.LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		load += time.Since(t1)
		if p := net.Graph.Node("fc").Params[0]; p == nil || len(p.Data) == 0 {
			b.Fatal("weights not loaded")
		}
	}
	st, _ := os.Stat(mp)
	b.SetBytes(st.Size())
	b.ReportMetric(float64(load)/float64(raw), "load/raw")
	b.ReportMetric(float64(st.Size())/1e6/(float64(load)/float64(b.N)/1e9), "MB/s")
}
