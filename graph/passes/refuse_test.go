package passes_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/graph/passes"
)

// snapshot records what a refusal must leave untouched.
type snapshot struct {
	nodes  []string
	values []string
	params map[string][]*graph.Tensor
	data   map[*graph.Tensor][]float32
	ops    map[string]graph.Op
}

func takeSnapshot(g *graph.Graph) snapshot {
	s := snapshot{params: map[string][]*graph.Tensor{}, data: map[*graph.Tensor][]float32{}, ops: map[string]graph.Op{}}
	for _, n := range g.Nodes {
		var io []string
		for _, v := range n.Bottoms {
			io = append(io, v.Name())
		}
		io = append(io, "→")
		for _, v := range n.Tops {
			io = append(io, v.Name())
		}
		s.nodes = append(s.nodes, n.Name+" "+strings.Join(io, " "))
		s.params[n.Name] = append([]*graph.Tensor(nil), n.Params...)
		for _, p := range n.Params {
			if p != nil {
				s.data[p] = append([]float32(nil), p.Data...)
			}
		}
		s.ops[n.Name] = n.Op
	}
	for _, v := range g.Values {
		s.values = append(s.values, v.Name())
	}
	return s
}

func TestRefusals(t *testing.T) {
	conv := func(b *builder, name, bottom, top string) *graph.Node {
		return b.add(name, &graph.Conv{NumOutput: 4, Kernel: []int{3}, Pad: []int{1}, Group: 1, Axis: 1, BiasTerm: true},
			[]string{bottom}, []string{top}, b.uniform(-0.5, 0.5, 4, 3, 3, 3), b.uniform(-0.5, 0.5, 4))
	}
	base := func(b *builder, top string) *graph.Node {
		b.input("data", 1, 3, 5, 5)
		return conv(b, "conv", "data", top)
	}
	cases := []struct {
		name   string
		build  func(b *builder)
		keep   []string
		layer  string // the refused layer
		reason string // substring of the reason
	}{
		{"branch", func(b *builder) {
			base(b, "c")
			b.batchNorm("bn", "c", "bn_out", 4, 1)
			b.add("other", &graph.ReLU{}, []string{"c"}, []string{"r"})
		}, nil, "bn", "conv's output c is also read by other"},
		{"batch statistics", func(b *builder) {
			base(b, "c")
			b.batchNorm("bn", "c", "c", 4, 1).Op.(*graph.BatchNorm).UseGlobalStats = false
		}, nil, "bn", "use_global_stats is false"},
		{"scale with two bottoms", func(b *builder) {
			base(b, "c")
			b.input("factor", 1, 4, 5, 5)
			b.add("sc", &graph.Scale{Axis: 1, NumAxes: 1}, []string{"c", "factor"}, []string{"s"})
		}, nil, "sc", "has 2 bottoms"},
		{"scale axis 2", func(b *builder) {
			base(b, "c")
			b.add("sc", &graph.Scale{Axis: 2, NumAxes: 1}, []string{"c"}, []string{"c"}, b.uniform(0.5, 1.5, 5))
		}, nil, "sc", "axis 2, num_axes 1 is not a per-channel scale"},
		{"scale num_axes 2", func(b *builder) {
			base(b, "c")
			b.add("sc", &graph.Scale{Axis: 1, NumAxes: 2}, []string{"c"}, []string{"c"}, b.uniform(0.5, 1.5, 4, 5))
		}, nil, "sc", "axis 1, num_axes 2 is not a per-channel scale"},
		{"scale negative axis without shapes", func(b *builder) {
			base(b, "c")
			b.add("sc", &graph.Scale{Axis: -3, NumAxes: 1}, []string{"c"}, []string{"c"}, b.uniform(0.5, 1.5, 4))
		}, nil, "sc", "infer shapes first"},
		{"producer param shared by name", func(b *builder) {
			base(b, "c").ParamSpecs = []graph.ParamSpec{{Name: "w", LrMult: 1, DecayMult: 1}}
			conv(b, "twin", "data", "t").ParamSpecs = []graph.ParamSpec{{Name: "w", LrMult: 1, DecayMult: 1}}
			b.batchNorm("bn", "c", "c", 4, 1)
		}, nil, "bn", `producer conv shares param "w" with twin`},
		{"batchnorm param shared by name", func(b *builder) {
			base(b, "c")
			b.batchNorm("bn", "c", "c", 4, 1).ParamSpecs = []graph.ParamSpec{{Name: "stats"}}
			b.batchNorm("bn2", "data", "d", 3, 1).ParamSpecs = []graph.ParamSpec{{Name: "stats"}}
		}, nil, "bn", `shares param "stats" with bn2`},
		{"kept producer output", func(b *builder) {
			base(b, "c")
			b.batchNorm("bn", "c", "bn_out", 4, 1)
		}, []string{"c"}, "bn", "value c is kept"},
		{"kept blob name protects every version", func(b *builder) {
			base(b, "c")
			b.batchNorm("bn", "c", "c", 4, 1)
			b.add("relu", &graph.ReLU{}, []string{"c"}, []string{"c"})
		}, []string{"c"}, "bn", "value c is kept"},
		{"batchnorm params not loaded", func(b *builder) {
			base(b, "c")
			b.batchNorm("bn", "c", "c", 4, 1).Params[0] = nil
		}, nil, "bn", "mean param not loaded"},
		{"scale bias not loaded", func(b *builder) {
			base(b, "c")
			b.scale("sc", "c", "c", 4, true).Params[1] = nil
		}, nil, "sc", "bias param not loaded"},
		{"producer weights not loaded", func(b *builder) {
			base(b, "c").Params[0] = nil
			b.batchNorm("bn", "c", "c", 4, 1)
		}, nil, "bn", "producer conv: parameters not loaded"},
		{"producer bias not loaded", func(b *builder) {
			base(b, "c").Params = []*graph.Tensor{b.uniform(-0.5, 0.5, 4, 3, 3, 3)}
			b.batchNorm("bn", "c", "c", 4, 1)
		}, nil, "bn", "producer conv: bias not loaded"},
		{"producer is pooling", func(b *builder) {
			base(b, "c")
			b.add("pool", &graph.Pool{Method: graph.PoolMax, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2}, []string{"c"}, []string{"p"})
			b.batchNorm("bn", "p", "p", 4, 1)
		}, nil, "bn", "producer is Pooling, not a Convolution/Deconvolution/InnerProduct"},
		{"producer is an input", func(b *builder) {
			b.input("data", 1, 4, 5, 5)
			b.batchNorm("bn", "data", "out", 4, 1)
		}, nil, "bn", "producer is Input, not a Convolution/Deconvolution/InnerProduct"},
		{"inner product axis 2", func(b *builder) {
			b.input("data", 2, 3, 4)
			b.add("ip", &graph.InnerProduct{NumOutput: 5, Axis: 2, BiasTerm: true}, []string{"data"}, []string{"ip"},
				b.uniform(-0.5, 0.5, 5, 4), b.uniform(-0.5, 0.5, 5))
			b.batchNorm("bn", "ip", "ip", 3, 1)
		}, nil, "bn", "inner product axis is 2, not 1"},
		{"producer shares weights across inputs", func(b *builder) {
			b.input("data", 1, 3, 5, 5)
			b.input("data2", 1, 3, 5, 5)
			b.add("conv", &graph.Conv{NumOutput: 4, Kernel: []int{3}, Group: 1, Axis: 1}, []string{"data", "data2"}, []string{"c1", "c2"},
				b.uniform(-0.5, 0.5, 4, 3, 3, 3))
			b.batchNorm("bn", "c1", "c1", 4, 1)
		}, nil, "bn", "has 2 bottoms and 2 tops sharing its weights"},
		{"channel count mismatch", func(b *builder) {
			base(b, "c")
			b.batchNorm("bn", "c", "c", 5, 1)
		}, nil, "bn", "want 4 values to match the producer's channels"},
		{"weight shape mismatch", func(b *builder) {
			base(b, "c").Params[0] = b.uniform(-0.5, 0.5, 5, 3, 3, 3)
			b.batchNorm("bn", "c", "c", 4, 1)
		}, nil, "bn", "does not fit num_output 4"},
		{"deconvolution group mismatch", func(b *builder) {
			b.input("data", 1, 3, 4, 4)
			b.add("dc", &graph.Conv{Deconv: true, NumOutput: 4, Kernel: []int{2}, Group: 2, Axis: 1}, []string{"data"}, []string{"d"},
				b.uniform(-0.5, 0.5, 3, 2, 2, 2))
			b.scale("sc", "d", "d", 4, false)
		}, nil, "sc", "does not fit num_output 4 with group 2"},
		{"bias_term false with a bias blob", func(b *builder) {
			b.input("data", 1, 3, 5, 5)
			b.add("conv", &graph.Conv{NumOutput: 4, Kernel: []int{3}, Group: 1, Axis: 1}, []string{"data"}, []string{"c"},
				b.uniform(-0.5, 0.5, 4, 3, 3, 3), b.uniform(-0.5, 0.5, 4))
			b.batchNorm("bn", "c", "c", 4, 1)
		}, nil, "bn", "bias_term is false but it has 2 params"},
		{"non-positive variance", func(b *builder) {
			base(b, "c")
			n := b.batchNorm("bn", "c", "c", 4, 1)
			n.Params[1].Data[2] = -1
		}, nil, "bn", "inf or NaN"},
		{"malformed tensor", func(b *builder) {
			base(b, "c").Params[0].Data = make([]float32, 3)
			b.batchNorm("bn", "c", "c", 4, 1)
		}, nil, "bn", "weight has 3 values"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(t, 3)
			tc.build(b)
			keep := map[string]bool{}
			for _, k := range tc.keep {
				keep[k] = true
			}
			before := takeSnapshot(b.g)
			rep, err := passes.FuseBatchNorm{}.Apply(b.g, keep)
			if err != nil {
				t.Fatal(err)
			}
			var found *passes.Entry
			for i, e := range rep.Entries {
				if e.Action == passes.Folded {
					t.Errorf("unexpected fold: %s", e)
				}
				if e.Layer == tc.layer {
					found = &rep.Entries[i]
				}
			}
			if found == nil || found.Action != passes.Refused || !strings.Contains(found.Reason, tc.reason) {
				t.Fatalf("want %s refused with %q, got:\n%s", tc.layer, tc.reason, rep)
			}
			after := takeSnapshot(b.g)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("refusal changed the graph:\nbefore %v\nafter  %v", before.nodes, after.nodes)
			}
		})
	}
}

// TestChainStopsAtUnfoldableLayer: BatchNorm folds on its own when the
// Scale after it cannot join, and the Scale reports its own reason.
func TestChainStopsAtUnfoldableLayer(t *testing.T) {
	b := newBuilder(t, 5)
	foldTargets()[0].add(b, "c", true)
	b.batchNorm("bn", "c", "bn_out", 4, 0.8)
	b.input("factor", 2, 4, 6, 6)
	b.add("sc", &graph.Scale{Axis: 1, NumAxes: 1}, []string{"bn_out", "factor"}, []string{"sc_out"})
	in := b.feeds()
	before, err := refForwardScale2(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := passes.FuseBatchNorm{}.Apply(b.g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Entries) != 2 || rep.Entries[0].Action != passes.Folded || !reflect.DeepEqual(rep.Entries[0].Chain, []string{"bn"}) ||
		rep.Entries[1].Layer != "sc" || rep.Entries[1].Action != passes.Refused || !strings.Contains(rep.Entries[1].Reason, "2 bottoms") {
		t.Fatalf("%s", rep)
	}
	if p := b.g.Node("prod"); p.Tops[0].Name() != "bn_out" || b.g.Node("sc").Bottoms[0] != p.Tops[0] {
		t.Fatalf("prod writes %s", p.Tops[0].Name())
	}
	checkConsistent(t, b.g)
	after, err := refForwardScale2(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	checkSameValues(t, b.g, before, after, rep.Renamed)
}

// refForwardScale2 is refForward where a two-bottom Scale multiplies
// element-wise.
func refForwardScale2(g *graph.Graph, in map[string]*graph.Tensor) (map[string]*arr, error) {
	var sc *graph.Node
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*graph.Scale); ok && len(n.Bottoms) == 2 {
			sc = n
		}
	}
	idx := sc.Index
	head := &graph.Graph{Nodes: g.Nodes[:idx]}
	vals, err := refForward(head, in)
	if err != nil {
		return nil, err
	}
	x, f := vals[sc.Bottoms[0].Name()], vals[sc.Bottoms[1].Name()]
	out := newArr(x.shape...)
	for i := range x.data {
		out.data[i] = x.data[i] * f.data[i]
	}
	vals[sc.Tops[0].Name()] = out
	return vals, nil
}

// TestKeptIntermediateVersion: keeping the BatchNorm's in-place output
// (conv#1) lets BatchNorm fold but stops the Scale, and the kept value's
// name follows the renumbering.
func TestKeptIntermediateVersion(t *testing.T) {
	b := newBuilder(t, 9)
	foldTargets()[0].add(b, "x", true)
	b.batchNorm("bn", "x", "x", 4, 0.8)
	b.scale("sc", "x", "x", 4, true)
	in := b.feeds()
	before, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := passes.FuseBatchNorm{}.Apply(b.g, map[string]bool{"x#1": true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Entries) != 2 || rep.Entries[0].Action != passes.Folded || rep.Entries[1].Action != passes.Refused ||
		!strings.Contains(rep.Entries[1].Reason, "value x#1 is kept") {
		t.Fatalf("%s", rep)
	}
	if want := map[string]string{"x#1": "x", "x#2": "x#1"}; !reflect.DeepEqual(rep.Renamed, want) {
		t.Errorf("renamed %v, want %v", rep.Renamed, want)
	}
	after, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	checkSameValues(t, b.g, before, after, rep.Renamed)
}
