package passes_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/graph/passes"
)

// foldTarget builds a data input and a producer layer "prod" writing top.
type foldTarget struct {
	name string
	c    int // output channels
	add  func(b *builder, top string, bias bool) *graph.Node
}

func convTarget(name string, in []int, op graph.Conv, wshape []int) foldTarget {
	return foldTarget{name: name, c: op.NumOutput, add: func(b *builder, top string, bias bool) *graph.Node {
		b.input("data", in...)
		o := op
		o.BiasTerm = bias
		params := []*graph.Tensor{b.uniform(-0.5, 0.5, wshape...)}
		if bias {
			params = append(params, b.uniform(-0.5, 0.5, op.NumOutput))
		}
		return b.add("prod", &o, []string{"data"}, []string{top}, params...)
	}}
}

func ipTarget(name string, transpose bool) foldTarget {
	const k, c = 12, 5
	wshape := []int{c, k}
	if transpose {
		wshape = []int{k, c}
	}
	return foldTarget{name: name, c: c, add: func(b *builder, top string, bias bool) *graph.Node {
		b.input("data", 2, 3, 2, 2)
		params := []*graph.Tensor{b.uniform(-0.5, 0.5, wshape...)}
		if bias {
			params = append(params, b.uniform(-0.5, 0.5, c))
		}
		op := &graph.InnerProduct{NumOutput: c, BiasTerm: bias, Axis: 1, Transpose: transpose}
		return b.add("prod", op, []string{"data"}, []string{top}, params...)
	}}
}

func foldTargets() []foldTarget {
	k3 := []int{3}
	return []foldTarget{
		convTarget("conv", []int{2, 3, 6, 6}, graph.Conv{NumOutput: 4, Kernel: k3, Pad: []int{1}, Group: 1, Axis: 1}, []int{4, 3, 3, 3}),
		convTarget("conv_group2", []int{2, 4, 6, 6}, graph.Conv{NumOutput: 6, Kernel: k3, Stride: []int{2}, Group: 2, Axis: 1}, []int{6, 2, 3, 3}),
		convTarget("conv_depthwise", []int{2, 4, 6, 6}, graph.Conv{NumOutput: 8, Kernel: k3, Pad: []int{1}, Group: 4, Depthwise: true, Axis: 1}, []int{8, 1, 3, 3}),
		convTarget("deconv", []int{2, 3, 4, 4}, graph.Conv{Deconv: true, NumOutput: 4, Kernel: k3, Stride: []int{2}, Pad: []int{1}, Group: 1, Axis: 1}, []int{3, 4, 3, 3}),
		convTarget("deconv_group2", []int{2, 4, 4, 4}, graph.Conv{Deconv: true, NumOutput: 6, Kernel: k3, Stride: []int{2}, Group: 2, Axis: 1}, []int{4, 3, 3, 3}),
		ipTarget("ip", false),
		ipTarget("ip_transpose", true),
	}
}

type stageKind int

const (
	bnStage stageKind = iota
	scaleBiasStage
	scaleStage
)

var combos = []struct {
	name   string
	stages []stageKind
}{
	{"bn", []stageKind{bnStage}},
	{"bn_scale", []stageKind{bnStage, scaleBiasStage}},
	{"scale_bias", []stageKind{scaleBiasStage}},
	{"scale", []stageKind{scaleStage}},
	{"bn_scale_scale", []stageKind{bnStage, scaleBiasStage, scaleStage}},
}

// chainNet builds data → prod → stages → ReLU, in place on blob "x" or with
// distinct tops p_out → s0_out → s1_out ... → relu_out.
func chainNet(t *testing.T, tg foldTarget, stages []stageKind, inPlace, bias bool, seed int64) *builder {
	b := newBuilder(t, seed)
	top := "p_out"
	if inPlace {
		top = "x"
	}
	p := tg.add(b, top, bias)
	if !bias {
		p.ParamSpecs = []graph.ParamSpec{{LrMult: 1, DecayMult: 1}}
	}
	cur := top
	for i, s := range stages {
		out := cur
		if !inPlace {
			out = fmt.Sprintf("s%d_out", i)
		}
		name := fmt.Sprintf("s%d", i)
		switch s {
		case bnStage:
			b.batchNorm(name, cur, out, tg.c, 0.8)
		case scaleBiasStage:
			b.scale(name, cur, out, tg.c, true)
		case scaleStage:
			b.scale(name, cur, out, tg.c, false)
		}
		cur = out
	}
	reluTop := cur
	if !inPlace {
		reluTop = "relu_out"
	}
	b.add("relu", &graph.ReLU{}, []string{cur}, []string{reluTop})
	return b
}

func TestFoldEveryTargetAndChain(t *testing.T) {
	seed := int64(1)
	for _, tg := range foldTargets() {
		for _, cb := range combos {
			for _, inPlace := range []bool{true, false} {
				for _, bias := range []bool{true, false} {
					seed++
					name := fmt.Sprintf("%s/%s/inplace=%v/bias=%v", tg.name, cb.name, inPlace, bias)
					t.Run(name, func(t *testing.T) {
						checkFold(t, tg, cb.stages, inPlace, bias, seed)
					})
				}
			}
		}
	}
}

func checkFold(t *testing.T, tg foldTarget, stages []stageKind, inPlace, bias bool, seed int64) {
	b := chainNet(t, tg, stages, inPlace, bias, seed)
	g := b.g
	in := b.feeds()
	before, err := refForward(g, in)
	if err != nil {
		t.Fatal(err)
	}
	oldW := g.Node("prod").Params[0]
	oldW0 := oldW.Data[0]

	rep, err := passes.FuseBatchNorm{}.Apply(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if oldW.Data[0] != oldW0 {
		t.Errorf("the original weight tensor was modified in place")
	}

	// Report: one fold of the whole chain into prod.
	var chain []string
	for i := range stages {
		chain = append(chain, fmt.Sprintf("s%d", i))
	}
	if len(rep.Entries) != 1 || rep.Entries[0].Action != passes.Folded || rep.Entries[0].Into != "prod" || !reflect.DeepEqual(rep.Entries[0].Chain, chain) {
		t.Fatalf("report:\n%s", rep)
	}

	// Structure: data → prod → relu, the producer writing the chain's
	// last value and relu reading it.
	var names []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
	}
	if !reflect.DeepEqual(names, []string{"data", "prod", "relu"}) {
		t.Fatalf("nodes after fold: %v", names)
	}
	prod, relu := g.Node("prod"), g.Node("relu")
	wantTop, wantRelu := "x", "x#1"
	if !inPlace {
		wantTop, wantRelu = fmt.Sprintf("s%d_out", len(stages)-1), "relu_out"
	}
	if got := prod.Tops[0].Name(); got != wantTop {
		t.Errorf("producer top %s, want %s", got, wantTop)
	}
	if relu.Bottoms[0] != prod.Tops[0] || relu.Tops[0].Name() != wantRelu {
		t.Errorf("relu reads %s writes %s, want %s → %s", relu.Bottoms[0].Name(), relu.Tops[0].Name(), wantTop, wantRelu)
	}
	checkConsistent(t, g)
	wantRenamed := map[string]string{}
	if inPlace {
		k := len(stages)
		wantRenamed[fmt.Sprintf("x#%d", k)] = "x"
		wantRenamed[fmt.Sprintf("x#%d", k+1)] = "x#1"
	}
	if !reflect.DeepEqual(rep.Renamed, wantRenamed) {
		t.Errorf("renamed %v, want %v", rep.Renamed, wantRenamed)
	}

	// Params: a bias now exists; a new bias's spec is 2×lr, no decay.
	if len(prod.Params) != 2 || prod.Params[1].Shape.Count() != tg.c {
		t.Fatalf("producer params after fold: %d", len(prod.Params))
	}
	switch op := prod.Op.(type) {
	case *graph.Conv:
		if !op.BiasTerm {
			t.Error("bias_term still false")
		}
	case *graph.InnerProduct:
		if !op.BiasTerm {
			t.Error("bias_term still false")
		}
	}
	if !bias {
		if !reflect.DeepEqual(prod.ParamSpecs, []graph.ParamSpec{{LrMult: 1, DecayMult: 1}, {LrMult: 2, DecayMult: 0}}) {
			t.Errorf("param specs %+v", prod.ParamSpecs)
		}
		if !strings.Contains(rep.Entries[0].Reason, "added a bias") {
			t.Errorf("report does not note the added bias: %q", rep.Entries[0].Reason)
		}
	}

	// Numbers: every surviving value equals what it held before.
	after, err := refForward(g, in)
	if err != nil {
		t.Fatal(err)
	}
	checkSameValues(t, g, before, after, rep.Renamed)
}

// checkSameValues compares every value of g (by its post-pass name) with
// the pre-pass value of the same meaning.
func checkSameValues(t *testing.T, g *graph.Graph, before, after map[string]*arr, renamed map[string]string) {
	t.Helper()
	orig := map[string]string{}
	for o, n := range renamed {
		orig[n] = o
	}
	for _, v := range g.Values {
		name := v.Name()
		old := name
		if o, ok := orig[name]; ok {
			old = o
		}
		want, ok := before[old]
		if !ok {
			t.Fatalf("value %s (was %s) did not exist before", name, old)
		}
		got := after[name]
		if !reflect.DeepEqual(got.shape, want.shape) {
			t.Fatalf("value %s: shape %v, want %v", name, got.shape, want.shape)
		}
		closeEnough(t, name, got.data, want.data)
	}
}

// checkConsistent verifies the graph's invariants after a pass: value IDs
// are indexes, every value is some live node's top, versions of each blob
// run 0, 1, ... in node order, and consumers match bottoms.
func checkConsistent(t *testing.T, g *graph.Graph) {
	t.Helper()
	live := map[*graph.Node]bool{}
	for i, n := range g.Nodes {
		if n.Index != i {
			t.Errorf("node %s has index %d at %d", n.Name, n.Index, i)
		}
		live[n] = true
	}
	isValue := map[*graph.Value]bool{}
	for i, v := range g.Values {
		if v.ID != i {
			t.Errorf("value %s has ID %d at %d", v.Name(), v.ID, i)
		}
		if !live[v.Producer] {
			t.Errorf("value %s has a removed producer", v.Name())
		}
		isValue[v] = true
	}
	next := map[string]int{}
	readers := map[*graph.Value]int{}
	for _, n := range g.Nodes {
		for _, b := range n.Bottoms {
			if !isValue[b] {
				t.Errorf("node %s reads a deleted value %s", n.Name, b.Name())
			}
			readers[b]++
		}
		for _, v := range n.Tops {
			if v.Producer != n {
				t.Errorf("value %s: producer %v, want %s", v.Name(), v.Producer.Name, n.Name)
			}
			if v.Version != next[v.Blob] {
				t.Errorf("value %s: version %d, want %d", v.Name(), v.Version, next[v.Blob])
			}
			next[v.Blob]++
			if g.Blob(v.Blob) == nil {
				t.Errorf("blob %s not indexed", v.Blob)
			}
		}
	}
	for _, v := range g.Values {
		if len(v.Consumers) != readers[v] {
			t.Errorf("value %s has %d consumers, %d readers", v.Name(), len(v.Consumers), readers[v])
		}
		if next[v.Blob]-1 == v.Version && g.Blob(v.Blob) != v {
			t.Errorf("blob %s: newest version is not %s", v.Blob, v.Name())
		}
	}
}

// TestFoldWithoutParamSpecs: a producer with no param {} entries gets a
// bias under Caffe's defaults, so no spec is invented.
func TestFoldWithoutParamSpecs(t *testing.T) {
	b := newBuilder(t, 7)
	foldTargets()[0].add(b, "x", false)
	b.batchNorm("bn", "x", "x", 4, 1)
	rep, err := passes.FuseBatchNorm{}.Apply(b.g, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := b.g.Node("prod")
	if rep.Count(passes.Folded) != 1 || len(p.ParamSpecs) != 0 || len(p.Params) != 2 {
		t.Fatalf("specs %+v params %d\n%s", p.ParamSpecs, len(p.Params), rep)
	}
}

// TestFoldResNetBlock folds three in-place chains around a residual Eltwise
// and a shared input, and checks every surviving value.
func TestFoldResNetBlock(t *testing.T) {
	b := newBuilder(t, 11)
	b.input("data", 1, 4, 9, 9)
	conv := func(name, bottom string, cout, cin, k, stride, pad int) {
		b.add(name, &graph.Conv{NumOutput: cout, Kernel: []int{k}, Stride: []int{stride}, Pad: []int{pad}, Group: 1, Axis: 1},
			[]string{bottom}, []string{name}, b.uniform(-0.5, 0.5, cout, cin, k, k))
	}
	conv("br1", "data", 8, 4, 1, 2, 0)
	b.batchNorm("bn_br1", "br1", "br1", 8, 0.8)
	b.scale("sc_br1", "br1", "br1", 8, true)
	conv("br2a", "data", 8, 4, 3, 2, 1)
	b.batchNorm("bn_br2a", "br2a", "br2a", 8, 0.8)
	b.scale("sc_br2a", "br2a", "br2a", 8, true)
	b.add("br2a_relu", &graph.ReLU{}, []string{"br2a"}, []string{"br2a"})
	conv("br2b", "br2a", 8, 8, 3, 1, 1)
	b.batchNorm("bn_br2b", "br2b", "br2b", 8, 0.8)
	b.scale("sc_br2b", "br2b", "br2b", 8, true)
	b.add("res", &graph.Eltwise{Operation: graph.EltwiseSum}, []string{"br1", "br2b"}, []string{"res"})
	b.add("res_relu", &graph.ReLU{}, []string{"res"}, []string{"res"})
	in := b.feeds()
	before, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := passes.FuseBatchNorm{}.Apply(b.g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(passes.Folded) != 3 || rep.Count(passes.Refused) != 0 || len(b.g.Nodes) != 7 {
		t.Fatalf("%s", rep)
	}
	want := map[string]string{"br1#2": "br1", "br2a#2": "br2a", "br2a#3": "br2a#1", "br2b#2": "br2b"}
	if !reflect.DeepEqual(rep.Renamed, want) {
		t.Errorf("renamed %v, want %v", rep.Renamed, want)
	}
	checkConsistent(t, b.g)
	after, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	checkSameValues(t, b.g, before, after, rep.Renamed)
}

// TestFoldShapeAwareAxes: with inferred shapes, a Scale with a negative
// axis naming the channel axis, and num_axes -1 on an InnerProduct output,
// are per-channel and fold.
func TestFoldShapeAwareAxes(t *testing.T) {
	b := newBuilder(t, 13)
	foldTargets()[0].add(b, "x", true)
	b.add("sc", &graph.Scale{Axis: -3, NumAxes: 1}, []string{"x"}, []string{"x"}, b.uniform(0.5, 1.5, 4))
	b.add("flat_ip", &graph.InnerProduct{NumOutput: 3, BiasTerm: true, Axis: 1}, []string{"x"}, []string{"ip"},
		b.uniform(-0.5, 0.5, 3, 4*6*6), b.uniform(-0.5, 0.5, 3))
	b.add("sc_ip", &graph.Scale{Axis: 1, NumAxes: -1, BiasTerm: true}, []string{"ip"}, []string{"ip"}, b.uniform(0.5, 1.5, 3), b.uniform(-0.3, 0.3, 3))
	in := b.feeds()
	before, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	// Without shapes both axes are ambiguous.
	g0 := cloneGraph(t, b.g)
	rep, err := passes.FuseBatchNorm{}.Apply(g0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(passes.Refused) != 2 || !strings.Contains(rep.Entries[0].Reason, "infer shapes first") || !strings.Contains(rep.Entries[1].Reason, "not a per-channel scale") {
		t.Fatalf("without shapes:\n%s", rep)
	}
	if err := b.g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	rep, err = passes.FuseBatchNorm{}.Apply(b.g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(passes.Folded) != 2 {
		t.Fatalf("with shapes:\n%s", rep)
	}
	after, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	checkSameValues(t, b.g, before, after, rep.Renamed)
}

// cloneGraph rebuilds g's nodes into a fresh graph (ops and params shared).
func cloneGraph(t *testing.T, g *graph.Graph) *graph.Graph {
	t.Helper()
	c := graph.New(g.Name)
	for _, n := range g.Nodes {
		m := &graph.Node{Name: n.Name, Type: n.Type, Op: n.Op, Params: n.Params, ParamSpecs: n.ParamSpecs}
		var bottoms, tops []string
		for _, v := range n.Bottoms {
			bottoms = append(bottoms, v.Blob)
		}
		for _, v := range n.Tops {
			tops = append(tops, v.Blob)
		}
		if err := c.Add(m, bottoms, tops); err != nil {
			t.Fatal(err)
		}
	}
	return c
}
