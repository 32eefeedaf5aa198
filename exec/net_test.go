package exec

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/exec/internal/ref"
	"github.com/caffetool/caffetool/graph"
)

// testNet is data(2x3x8x8) → conv 3x3 pad 1 → Dropout in place (scaled, so
// the versions differ) → MAX pool 2 → InnerProduct 4, plus the oracle
// parameters.
type testNet struct {
	g          *graph.Graph
	w, b       *graph.Tensor
	ipW, ipB   *graph.Tensor
	convParams ref.Conv2D
}

func buildTestNet(t *testing.T, r *rand.Rand) *testNet {
	t.Helper()
	tn := &testNet{g: graph.New("t")}
	tn.convParams = ref.Conv2D{N: 2, In: 3, H: 8, W: 8, Out: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 1}
	tn.w, tn.b = coreRand(r, 5, 3, 3, 3), coreRand(r, 5)
	tn.ipW, tn.ipB = coreRand(r, 4, 5*4*4), coreRand(r, 4)
	add := func(n *graph.Node, bottoms, tops []string) {
		if err := tn.g.Add(n, bottoms, tops); err != nil {
			t.Fatal(err)
		}
	}
	add(&graph.Node{Name: "data", Type: "Input", Op: &graph.Input{Shapes: []graph.Shape{{2, 3, 8, 8}}}}, nil, []string{"data"})
	add(&graph.Node{Name: "conv", Type: "Convolution", Op: convOp(tn.convParams, false, true, false), Params: []*graph.Tensor{tn.w, tn.b}},
		[]string{"data"}, []string{"conv"})
	add(&graph.Node{Name: "drop", Type: "Dropout", Op: &graph.Dropout{Ratio: 0.5}}, []string{"conv"}, []string{"conv"})
	add(&graph.Node{Name: "pool", Type: "Pooling", Op: &graph.Pool{Method: graph.PoolMax, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: true}},
		[]string{"conv"}, []string{"pool"})
	add(&graph.Node{Name: "ip", Type: "InnerProduct", Op: &graph.InnerProduct{NumOutput: 4, BiasTerm: true, Axis: 1}, Params: []*graph.Tensor{tn.ipW, tn.ipB}},
		[]string{"pool"}, []string{"ip"})
	if err := tn.g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	return tn
}

// expect computes every stage with the oracles.
func (tn *testNet) expect(x *graph.Tensor) (conv, drop, pool, ip []float32) {
	p := tn.convParams
	p.N, p.H, p.W = x.Shape[0], x.Shape[2], x.Shape[3]
	conv = ref.Conv(p, x.Data, tn.w.Data, tn.b.Data)
	drop = make([]float32, len(conv))
	for i, v := range conv {
		drop[i] = v * 0.5
	}
	pp := ref.Pool2D{N: p.N, C: 5, H: p.H, W: p.W, KH: 2, KW: 2, StrideH: 2, StrideW: 2, OutH: (p.H + 1) / 2, OutW: (p.W + 1) / 2}
	pool, _ = ref.MaxPool(pp, drop)
	k := len(pool) / p.N
	for n := 0; n < p.N; n++ {
		for j := 0; j < 4; j++ {
			s := float64(tn.ipB.Data[j])
			for q := 0; q < k; q++ {
				s += float64(pool[n*k+q]) * float64(tn.ipW.Data[j*k+q])
			}
			ip = append(ip, float32(s))
		}
	}
	return
}

func TestNetForward(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	tn := buildTestNet(t, r)
	var seen []string
	net, err := Compile(tn.g, Options{KeepAll: true, Observe: func(v *graph.Value, tt *graph.Tensor) {
		if !tt.Shape.Equal(v.Shape) {
			t.Errorf("observed %s with shape %v, value shape %v", v.Name(), tt.Shape, v.Shape)
		}
		seen = append(seen, v.Name())
	}})
	if err != nil {
		t.Fatal(err)
	}
	x := coreRand(r, 2, 3, 8, 8)
	if err := net.Forward(map[string]*graph.Tensor{"data": x}); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(seen, " "), "data conv conv#1 pool ip"; got != want {
		t.Errorf("observed %q, want %q", got, want)
	}
	conv, drop, pool, ip := tn.expect(x)
	v0 := tn.g.Nodes[1].Tops[0]
	checks := []struct {
		name string
		got  *graph.Tensor
		want []float32
	}{
		{"conv#0", net.ValueTensor(v0), conv},
		{"conv (newest)", net.Blob("conv"), drop},
		{"pool", net.Blob("pool"), pool},
		{"ip", net.Blob("ip"), ip},
		{"data", net.Blob("data"), x.Data},
	}
	for _, c := range checks {
		if c.got == nil {
			t.Errorf("%s: no tensor", c.name)
			continue
		}
		if err := coreClose(c.got.Data, c.want, 1e-4); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if net.Blob("nope") != nil {
		t.Error("Blob of an unknown name is not nil")
	}
	if ps := net.Params("conv"); len(ps) != 2 || ps[0] != tn.w {
		t.Errorf("Params(conv) = %v", ps)
	}
	if net.Params("nope") != nil || net.Graph() != tn.g {
		t.Error("Params/Graph accessors")
	}
	if in := net.Inputs(); len(in) != 1 || in[0].Blob != "data" {
		t.Errorf("Inputs = %v", in)
	}
	if out := net.Outputs(); len(out) != 1 || out[0].Blob != "ip" {
		t.Errorf("Outputs = %v", out)
	}

}

func TestNetReshape(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	tn := buildTestNet(t, r)
	net, err := Compile(tn.g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A batch change keeps every parameter shape valid.
	if err := net.Reshape(map[string]graph.Shape{"data": {3, 3, 8, 8}}); err != nil {
		t.Fatal(err)
	}
	x := coreRand(r, 3, 3, 8, 8)
	if err := net.Forward(map[string]*graph.Tensor{"data": x}); err != nil {
		t.Fatal(err)
	}
	_, _, _, ip := tn.expect(x)
	if err := coreClose(net.Blob("ip").Data, ip, 1e-4); err != nil {
		t.Error(err)
	}
	// A spatial change breaks the InnerProduct weights: the error names
	// the layer and the net stays usable at the old shapes.
	err = net.Reshape(map[string]graph.Shape{"data": {3, 3, 6, 6}})
	if err == nil || !strings.Contains(err.Error(), `"ip"`) {
		t.Fatalf("reshape with mismatched IP weights: err = %v", err)
	}
}

func TestNetInputErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	net, err := Compile(buildTestNet(t, r).g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = net.Forward(map[string]*graph.Tensor{"data": coreRand(r, 2, 3, 8, 7)})
	if err == nil || !strings.Contains(err.Error(), `"data"`) || !strings.Contains(err.Error(), "2x3x8x7") || !strings.Contains(err.Error(), "2x3x8x8") {
		t.Errorf("shape mismatch: err = %v", err)
	}
	err = net.Forward(map[string]*graph.Tensor{"pool": coreRand(r, 2, 5, 4, 4)})
	if err == nil || !strings.Contains(err.Error(), `"pool"`) {
		t.Errorf("non-input name: err = %v", err)
	}
	// No inputs given: the input keeps its contents (zeros) and the pass runs.
	if err := net.Forward(nil); err != nil {
		t.Error(err)
	}
}

func TestCompileErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))

	// Shapes not inferred.
	tn := buildTestNet(t, r)
	for _, v := range tn.g.Values {
		v.Shape = nil
	}
	if _, err := Compile(tn.g, Options{}); err == nil || !strings.Contains(err.Error(), "InferShapes") {
		t.Errorf("uninferred: err = %v", err)
	}

	// A param not loaded: the error names the layer and the index.
	tn = buildTestNet(t, r)
	tn.g.Nodes[1].Params[1] = nil
	_, err := Compile(tn.g, Options{})
	var le *graph.LayerError
	if !errors.As(err, &le) || le.Layer != "conv" || le.Field != "param[1]" {
		t.Errorf("nil param: err = %v", err)
	}
	tn.g.Nodes[1].Params = tn.g.Nodes[1].Params[:1]
	if _, err := Compile(tn.g, Options{}); !errors.As(err, &le) || le.Layer != "conv" || le.Field != "param[1]" {
		t.Errorf("missing param: err = %v", err)
	}

	// A type exec cannot run is an UnsupportedError.
	g := graph.New("loss")
	mustAdd(t, g, &graph.Node{Name: "data", Type: "Input", Op: &graph.Input{Shapes: []graph.Shape{{2, 5}, {2}}}}, nil, []string{"x", "label"})
	mustAdd(t, g, &graph.Node{Name: "loss", Type: "SoftmaxWithLoss", Op: &graph.Loss{Kind: "SoftmaxWithLoss"}}, []string{"x", "label"}, []string{"loss"})
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	_, err = Compile(g, Options{})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Layer != "loss" || ue.Type != "SoftmaxWithLoss" || !strings.Contains(ue.Reason, "training") {
		t.Errorf("loss layer: err = %v", err)
	}
	g.Nodes[1].Type, g.Nodes[1].Op = "FancyLoss", &graph.Loss{Kind: "FancyLoss"}
	if _, err = Compile(g, Options{}); !errors.As(err, &ue) || ue.Type != "FancyLoss" || !strings.Contains(ue.Reason, "training") {
		t.Errorf("fork loss: err = %v", err)
	}
}

func mustAdd(t *testing.T, g *graph.Graph, n *graph.Node, bottoms, tops []string) {
	t.Helper()
	if err := g.Add(n, bottoms, tops); err != nil {
		t.Fatal(err)
	}
}

func TestNetRecoversLayerPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(69, 70))
	net, err := Compile(buildTestNet(t, r).g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	net.layers[3] = LayerFunc(func(b, tp []*graph.Tensor) error {
		_ = b[0].Data[len(b[0].Data)] // out of range on purpose
		return nil
	})
	err = net.Forward(nil)
	var le *graph.LayerError
	if !errors.As(err, &le) || le.Layer != "pool" || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("panic: err = %v", err)
	}
	net.layers[3] = LayerFunc(func(b, tp []*graph.Tensor) error { return errors.New("boom") })
	if err := net.Forward(nil); !errors.As(err, &le) || le.Layer != "pool" || le.Type != "Pooling" {
		t.Errorf("layer error not wrapped: %v", err)
	}
}

// Parameter's top is its blob; Silence swallows a blob.
func TestNetParameterSilence(t *testing.T) {
	g := graph.New("p")
	p := coreSeq(2, 3)
	mustAdd(t, g, &graph.Node{Name: "p", Type: "Parameter", Op: &graph.Parameter{Shape: graph.Shape{2, 3}}, Params: []*graph.Tensor{p}}, nil, []string{"p"})
	mustAdd(t, g, &graph.Node{Name: "s", Type: "Split", Op: &graph.Split{}}, []string{"p"}, []string{"a", "b"})
	mustAdd(t, g, &graph.Node{Name: "quiet", Type: "Silence", Op: &graph.Silence{}}, []string{"a"}, nil)
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	net, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Forward(nil); err != nil {
		t.Fatal(err)
	}
	if err := coreExact(net.Blob("b").Data, p.Data); err != nil {
		t.Error(err)
	}
}

// A Python layer with bottoms is user code, not a data source.
func TestPythonWithBottomsUnsupported(t *testing.T) {
	n := coreNode("Python", &graph.DataSource{Kind: "Python"})
	_, err := newDataSource(n, []graph.Shape{{1}}, []graph.Shape{{1}})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Type != "Python" {
		t.Errorf("err = %v", err)
	}
	if _, err := newDataSource(n, nil, []graph.Shape{{1}}); err != nil {
		t.Errorf("data-source Python: %v", err)
	}
}
