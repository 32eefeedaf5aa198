package htmlreport

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// synthNet builds a random branchy net: every layer reads one to three of
// the recent blobs (Concat / Eltwise merges, convolution branches), and
// some layers are followed by in-place chains (BatchNorm, Scale, ReLU).
// Shapes are left unknown: layout does not need them.
func synthNet(t testing.TB, seed int64, layers int) *graph.Graph {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	g := graph.New(fmt.Sprintf("synthetic-%d", seed))
	add := func(op graph.Op, name string, bottoms, tops []string) {
		if err := g.Add(&graph.Node{Name: name, Type: op.Type(), Op: op}, bottoms, tops); err != nil {
			t.Fatal(err)
		}
	}
	add(&graph.Input{Shapes: []graph.Shape{{1, 3, 32, 32}}}, "data", nil, []string{"data"})
	blobs := []string{"data"}
	for i := 0; i < layers; i++ {
		recent := blobs[max(0, len(blobs)-8):]
		name := fmt.Sprintf("l%d", i)
		switch k := rng.Intn(10); {
		case k < 2 && len(recent) >= 2:
			n := 2 + rng.Intn(min(2, len(recent)-1))
			perm := rng.Perm(len(recent))[:n]
			var bs []string
			for _, p := range perm {
				bs = append(bs, recent[p])
			}
			var op graph.Op = &graph.Concat{Axis: 1}
			if k == 1 {
				op = &graph.Eltwise{Operation: graph.EltwiseSum}
			}
			add(op, name, bs, []string{name})
		default:
			b := recent[rng.Intn(len(recent))]
			add(&graph.Conv{NumOutput: 8, Kernel: []int{3}, Pad: []int{1}, BiasTerm: true}, name, []string{b}, []string{name})
		}
		blobs = append(blobs, name)
		if rng.Intn(3) == 0 {
			for j, op := range []graph.Op{&graph.BatchNorm{}, &graph.Scale{}, &graph.ReLU{}}[:1+rng.Intn(3)] {
				add(op, fmt.Sprintf("%s_ip%d", name, j), []string{name}, []string{name})
			}
		}
	}
	return g
}

// checkLayout verifies the properties every layout must have.
func checkLayout(t *testing.T, g *graph.Graph, l *layout) {
	t.Helper()
	if want := len(g.Nodes) - inPlaceLayers(g); len(l.boxes) != want {
		t.Errorf("%d nodes drawn, want %d layers − %d in-place = %d", len(l.boxes), len(g.Nodes), inPlaceLayers(g), want)
	}
	for _, o := range l.overlaps() {
		t.Error(o)
	}
	for i, n := range g.Nodes {
		b := l.boxOf[i]
		if b == nil {
			t.Fatalf("layer %q has no node", n.Name)
		}
		found := false
		for _, m := range b.nodes {
			found = found || m == n
		}
		if !found {
			t.Errorf("layer %q is not listed in its node", n.Name)
		}
	}
	for _, e := range l.edges {
		if e.dst.rank <= e.tr.src.rank {
			t.Errorf("edge %s → %s goes up (ranks %d → %d)", e.tr.src.nodes[0].Name, e.dst.nodes[0].Name, e.tr.src.rank, e.dst.rank)
		}
		for k := 1; k < len(e.pts); k++ {
			if e.pts[k].y < e.pts[k-1].y {
				t.Errorf("edge %s → %s route goes up", e.tr.src.nodes[0].Name, e.dst.nodes[0].Name)
			}
		}
	}
	for _, b := range l.boxes {
		if b.x-b.w/2 < 0 || b.x+b.w/2 > l.width || b.y < 0 || b.y+b.h > l.height {
			t.Errorf("node %q lies outside the drawing", b.nodes[0].Name)
		}
	}
}

func TestLayoutSynthetic(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		g := synthNet(t, seed, 80)
		l := computeLayout(g)
		checkLayout(t, g, l)
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
}

// TestFoldRules: in-place layers fold into their producer's node; a layer
// that rewrites one bottom while reading another stays a node of its own.
func TestFoldRules(t *testing.T) {
	g := graph.New("fold")
	add := func(op graph.Op, name string, bottoms, tops []string) {
		if err := g.Add(&graph.Node{Name: name, Type: op.Type(), Op: op}, bottoms, tops); err != nil {
			t.Fatal(err)
		}
	}
	add(&graph.Input{}, "data", nil, []string{"data"})
	add(&graph.Conv{NumOutput: 4}, "conv", []string{"data"}, []string{"conv"})
	add(&graph.Pool{}, "side", []string{"conv"}, []string{"side"}) // reads conv before the rewrite
	add(&graph.BatchNorm{}, "bn", []string{"conv"}, []string{"conv"})
	add(&graph.ReLU{}, "relu", []string{"conv"}, []string{"conv"})
	add(&graph.Scale{}, "scale2", []string{"conv", "side"}, []string{"conv"}) // in place, two bottoms
	add(&graph.Eltwise{}, "sum", []string{"conv", "side"}, []string{"sum"})
	l := computeLayout(g)
	want := map[string][]string{"data": {"data"}, "conv": {"conv", "bn", "relu"}, "side": {"side"}, "scale2": {"scale2"}, "sum": {"sum"}}
	if len(l.boxes) != len(want) {
		t.Fatalf("%d nodes, want %d", len(l.boxes), len(want))
	}
	for _, b := range l.boxes {
		var names []string
		for _, n := range b.nodes {
			names = append(names, n.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(want[names[0]]) {
			t.Errorf("node %v, want %v", names, want[names[0]])
		}
	}
	for _, o := range l.overlaps() {
		t.Error(o)
	}
}

func TestFitOrdered(t *testing.T) {
	// Three items all wanting 0 with gaps 10: the optimum is −10, 0, 10.
	x := fitOrdered([]float64{0, 0, 0}, []float64{1, 1, 1}, []float64{10, 10, 0})
	if x[0] != -10 || x[1] != 0 || x[2] != 10 {
		t.Errorf("got %v, want [-10 0 10]", x)
	}
	// Far apart wishes are met exactly.
	x = fitOrdered([]float64{0, 100}, []float64{1, 1}, []float64{10, 0})
	if x[0] != 0 || x[1] != 100 {
		t.Errorf("got %v, want [0 100]", x)
	}
	// A heavy item moves less: wants 0 (weight 3) and 0 (weight 1), gap 8.
	x = fitOrdered([]float64{0, 0}, []float64{3, 1}, []float64{8, 0})
	if x[0] != -2 || x[1] != 6 {
		t.Errorf("got %v, want [-2 6]", x)
	}
}

func TestPeakActivation(t *testing.T) {
	g := graph.New("peak")
	add := func(op graph.Op, name string, bottoms, tops []string, shape graph.Shape) {
		n := &graph.Node{Name: name, Type: op.Type(), Op: op}
		if err := g.Add(n, bottoms, tops); err != nil {
			t.Fatal(err)
		}
		for _, v := range n.Tops {
			v.Shape = shape
		}
	}
	add(&graph.Input{}, "data", nil, []string{"data"}, graph.Shape{1, 1, 1, 10})              // 40 B, read by c
	add(&graph.Conv{}, "a", []string{"data"}, []string{"a"}, graph.Shape{1, 1, 1, 20})        // 80 B
	add(&graph.ReLU{}, "relu", []string{"a"}, []string{"a"}, graph.Shape{1, 1, 1, 20})        // same buffer
	add(&graph.Pool{}, "b", []string{"a"}, []string{"b"}, graph.Shape{1, 1, 1, 5})            // 20 B; a dies here
	add(&graph.Eltwise{}, "c", []string{"data", "b"}, []string{"c"}, graph.Shape{1, 1, 1, 1}) // 4 B
	// Live bytes per layer: 40, 120, 120, 140, 64.
	peak, at := peakActivation(g)
	if peak != 140 || at != 3 {
		t.Errorf("peak %d at layer %d, want 140 at 3", peak, at)
	}
}

func TestBlockKey(t *testing.T) {
	for name, want := range map[string]string{
		"inception_4b/1x1": "inception_4b", "conv3/dw": "conv3", "res3a_branch2b": "res3a",
		"conv1": "conv1", "_x": "_x", "/y": "/y", "mbox_loc": "mbox",
	} {
		if got := blockKey(name); got != want {
			t.Errorf("blockKey(%q) = %q, want %q", name, got, want)
		}
	}
}
