package exec

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// initNet builds data 1x3x8x8 → conv_a (xavier + constant 0.1 bias) →
// bn → conv_b, which shares conv_a's weights by the param name "w" and
// has its own bias (constant 0.2); plus ip with a gaussian weight.
func initNet(t *testing.T) *graph.Graph {
	t.Helper()
	g := graph.New("init")
	add := func(n *graph.Node, bottoms, tops []string) {
		t.Helper()
		if n.Type == "" {
			n.Type = n.Op.Type()
		}
		if err := g.Add(n, bottoms, tops); err != nil {
			t.Fatal(err)
		}
	}
	xavier := filler("xavier")
	bias := filler("constant")
	bias.Value = 0.1
	conv := func() *graph.Conv {
		return &graph.Conv{NumOutput: 3, BiasTerm: true, Kernel: []int{3}, Pad: []int{1}, Group: 1, Axis: 1,
			WeightFiller: xavier, BiasFiller: bias}
	}
	add(&graph.Node{Name: "data", Op: &graph.Input{Shapes: []graph.Shape{{1, 3, 8, 8}}}}, nil, []string{"data"})
	add(&graph.Node{Name: "conv_a", Op: conv(), ParamSpecs: []graph.ParamSpec{{Name: "w"}}}, []string{"data"}, []string{"a"})
	add(&graph.Node{Name: "bn", Op: &graph.BatchNorm{UseGlobalStats: true, Eps: 1e-5}}, []string{"a"}, []string{"a"})
	cb := conv()
	cb.BiasFiller.Value = 0.2
	add(&graph.Node{Name: "conv_b", Op: cb, ParamSpecs: []graph.ParamSpec{{Name: "w"}, {}}}, []string{"a"}, []string{"b"})
	gauss := filler("gaussian")
	gauss.Std = 0.01
	add(&graph.Node{Name: "ip", Op: &graph.InnerProduct{NumOutput: 5, BiasTerm: false, Axis: 1, WeightFiller: gauss}}, []string{"b"}, []string{"out"})
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestFillInitParams(t *testing.T) {
	g := initNet(t)
	filled, err := InitParams(g, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"conv_a[0]", "conv_a[1]", "bn[0]", "bn[1]", "bn[2]", "conv_b[1]", "ip[0]"}
	if !reflect.DeepEqual(filled, want) {
		t.Errorf("filled %v, want %v", filled, want)
	}
	a, bn, b, ip := g.Node("conv_a"), g.Node("bn"), g.Node("conv_b"), g.Node("ip")
	if !a.Params[0].Shape.Equal(graph.Shape{3, 3, 3, 3}) || !ip.Params[0].Shape.Equal(graph.Shape{5, 192}) {
		t.Errorf("shapes %v, %v", a.Params[0].Shape, ip.Params[0].Shape)
	}
	if b.Params[0] != a.Params[0] {
		t.Error("conv_b's weight is not conv_a's tensor")
	}
	if b.Params[1] == a.Params[1] || b.Params[1].Data[0] != 0.2 || a.Params[1].Data[0] != 0.1 {
		t.Error("unshared biases were shared or mis-filled")
	}
	for i, p := range bn.Params {
		for _, v := range p.Data {
			if v != 0 {
				t.Fatalf("bn[%d] has %g, Caffe zeroes BatchNorm blobs", i, v)
			}
		}
	}
	if len(bn.Params) != 3 || !bn.Params[2].Shape.Equal(graph.Shape{1}) {
		t.Errorf("bn params %v", bn.Params)
	}
	if _, std, _, _ := moments(ip.Params[0].Data); std < 0.008 || std > 0.012 {
		t.Errorf("ip weight std %g, want about 0.01", std)
	}

	// Same seed, same numbers.
	g2 := initNet(t)
	if _, err := InitParams(g2, 1, false); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g2.Node("conv_a").Params[0].Data, a.Params[0].Data) {
		t.Error("seed 1 twice gave different weights")
	}
}

func TestFillInitParamsOnlyMissing(t *testing.T) {
	g := initNet(t)
	a, b := g.Node("conv_a"), g.Node("conv_b")
	loaded := graph.NewTensor(graph.Shape{3, 3, 3, 3})
	for i := range loaded.Data {
		loaded.Data[i] = 7
	}
	// The owner has no weights loaded but the sharer has: the group's
	// tensor is the sharer's, as when Caffe copies it into shared memory.
	b.Params = []*graph.Tensor{loaded}
	filled, err := InitParams(g, 3, true)
	if err != nil {
		t.Fatal(err)
	}
	if a.Params[0] != loaded || b.Params[0] != loaded {
		t.Error("shared weight not taken from the loaded member")
	}
	for _, f := range filled {
		if strings.HasPrefix(f, "conv_a[0]") || strings.HasPrefix(f, "conv_b[0]") {
			t.Errorf("filled %s although it was loaded", f)
		}
	}
	if b.Params[1] == nil || b.Params[1].Data[0] != 0.2 {
		t.Error("missing bias not filled")
	}
	// A second run with onlyMissing changes nothing.
	again, err := InitParams(g, 3, true)
	if err != nil || len(again) != 0 {
		t.Errorf("second run filled %v, err %v", again, err)
	}
}

func TestFillInitParamsErrors(t *testing.T) {
	// Shared weights with different shapes.
	g := initNet(t)
	g.Node("ip").ParamSpecs = []graph.ParamSpec{{Name: "w"}}
	_, err := InitParams(g, 1, false)
	var le *graph.LayerError
	if !errors.As(err, &le) || le.Layer != "ip" || !strings.Contains(err.Error(), "share") {
		t.Errorf("shape-mismatched sharing: %v", err)
	}
	// A bad filler names the layer and param.
	g = initNet(t)
	g.Node("ip").Op.(*graph.InnerProduct).WeightFiller.Std = 0
	_, err = InitParams(g, 1, false)
	if !errors.As(err, &le) || le.Layer != "ip" || le.Field != "param[0]" {
		t.Errorf("std 0: %v", err)
	}
}
