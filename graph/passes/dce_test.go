package passes_test

import (
	"reflect"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/graph/passes"
)

func nodeNames(g *graph.Graph) []string {
	var s []string
	for _, n := range g.Nodes {
		s = append(s, n.Name)
	}
	return s
}

func entryLayers(r passes.Report, a passes.Action) []string {
	var s []string
	for _, e := range r.Entries {
		if e.Action == a {
			s = append(s, e.Layer)
		}
	}
	return s
}

// silencedNet: data → conv → relu (the net output); conv → pool → relu2 →
// silence, a branch whose only reader is a Silence layer.
func silencedNet(t *testing.T) *builder {
	b := newBuilder(t, 21)
	foldTargets()[0].add(b, "c", true)
	b.add("relu", &graph.ReLU{}, []string{"c"}, []string{"r"})
	b.add("pool", &graph.Pool{Method: graph.PoolMax, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: true}, []string{"c"}, []string{"p"})
	b.add("relu2", &graph.ReLU{}, []string{"p"}, []string{"p"})
	b.add("silence", &graph.Silence{}, []string{"p"}, nil)
	return b
}

func TestDeadCodeCascadesFromSilence(t *testing.T) {
	b := silencedNet(t)
	rep, err := passes.DeadCode{}.Apply(b.g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entryLayers(rep, passes.Removed), []string{"pool", "relu2", "silence"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("removed %v, want %v\n%s", got, want, rep)
	}
	if got, want := nodeNames(b.g), []string{"data", "prod", "relu"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes %v, want %v", got, want)
	}
	checkConsistent(t, b.g)
	if b.g.Blob("p") != nil {
		t.Error("blob p still indexed")
	}
}

func TestDeadCodeKeepsKeptValues(t *testing.T) {
	for _, k := range []string{"p", "p#1"} {
		b := silencedNet(t)
		rep, err := passes.DeadCode{}.Apply(b.g, map[string]bool{k: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := entryLayers(rep, passes.Removed); !reflect.DeepEqual(got, []string{"silence"}) {
			t.Errorf("keep %s: removed %v, want just the silence", k, got)
		}
	}
	// Keeping only the first version of p ("p#0", an alias of "p" as a
	// value name) keeps pool but not relu2.
	b := silencedNet(t)
	rep, err := passes.DeadCode{}.Apply(b.g, map[string]bool{"p#0": true})
	if err != nil {
		t.Fatal(err)
	}
	if got := entryLayers(rep, passes.Removed); !reflect.DeepEqual(got, []string{"relu2", "silence"}) {
		t.Errorf("keep p#0: removed %v, want relu2 and silence", got)
	}
}

func TestDeadCodeKeepsOutputsAndSideEffects(t *testing.T) {
	b := newBuilder(t, 22)
	b.input("data", 1, 3, 5, 5)
	b.input("unused", 1, 2)
	b.add("relu", &graph.ReLU{}, []string{"data"}, []string{"r"})
	b.add("sig", &graph.Sigmoid{}, []string{"data"}, []string{"s"})
	b.add("h5", &graph.HDF5Output{}, []string{"s"}, nil)
	b.add("tanh", &graph.TanH{}, []string{"data"}, []string{"th"})
	b.add("loss", &graph.Loss{Kind: "EuclideanLoss"}, []string{"th", "th"}, []string{"loss"})
	b.add("silence_loss", &graph.Silence{}, []string{"loss"}, nil)
	b.add("abs", &graph.AbsVal{}, []string{"data"}, []string{"a"}).LossWeights = []float32{1}
	b.add("silence_a", &graph.Silence{}, []string{"a"}, nil)
	rep, err := passes.DeadCode{}.Apply(b.g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entryLayers(rep, passes.Removed), []string{"silence_loss", "silence_a"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("removed %v, want %v\n%s", got, want, rep)
	}
	checkConsistent(t, b.g)
}

// TestDeadCodeExplicitOutputs: only the listed values count as outputs.
func TestDeadCodeExplicitOutputs(t *testing.T) {
	b := newBuilder(t, 23)
	b.input("data", 1, 3, 5, 5)
	b.add("relu", &graph.ReLU{}, []string{"data"}, []string{"r"})
	b.add("sig", &graph.Sigmoid{}, []string{"r"}, []string{"s"})
	b.add("tanh", &graph.TanH{}, []string{"data"}, []string{"t"})
	b.g.Reindex()
	rep, err := passes.DeadCode{Outputs: []*graph.Value{b.g.Blob("t")}}.Apply(b.g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := nodeNames(b.g), []string{"data", "tanh"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes %v, want %v\n%s", got, want, rep)
	}
	checkConsistent(t, b.g)
}

// dropLayer is a test pass that deletes one layer, orphaning its bottoms.
type dropLayer string

func (d dropLayer) Name() string { return "drop-" + string(d) }
func (d dropLayer) Apply(g *graph.Graph, keep map[string]bool) (passes.Report, error) {
	var nodes []*graph.Node
	for _, n := range g.Nodes {
		if n.Name != string(d) {
			nodes = append(nodes, n)
		}
	}
	g.Nodes = nodes
	var values []*graph.Value
	for _, n := range nodes {
		for _, v := range n.Tops {
			v.ID = len(values)
			values = append(values, v)
		}
	}
	g.Values = values
	g.Reindex()
	return passes.Report{Pass: d.Name(), Entries: []passes.Entry{{Layer: string(d), Action: passes.Removed}}}, nil
}

// TestRunFixesOutputsAtStart: Run's DeadCode treats as outputs only what
// the net produced before any pass, so a value orphaned by an earlier pass
// is dead, while a standalone DeadCode would take it for an output.
func TestRunFixesOutputsAtStart(t *testing.T) {
	build := func() *builder {
		b := newBuilder(t, 24)
		foldTargets()[0].add(b, "c", true)
		b.add("relu", &graph.ReLU{}, []string{"c"}, []string{"r"})
		b.add("relu_tail", &graph.ReLU{}, []string{"r"}, []string{"out"})
		return b
	}
	b := build()
	if _, err := passes.Run(b.g, nil, dropLayer("relu_tail"), passes.DeadCode{}); err != nil {
		t.Fatal(err)
	}
	if got, want := nodeNames(b.g), []string{"data"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Run: nodes %v, want %v", got, want)
	}
	b = build()
	if _, err := dropLayer("relu_tail").Apply(b.g, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := (passes.DeadCode{}).Apply(b.g, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := nodeNames(b.g), []string{"data", "prod", "relu"}; !reflect.DeepEqual(got, want) {
		t.Errorf("standalone: nodes %v, want %v", got, want)
	}
}

// TestRunPipeline folds, removes a silenced branch, carries a kept name
// across the renumbering, and re-infers shapes.
func TestRunPipeline(t *testing.T) {
	b := newBuilder(t, 25)
	foldTargets()[0].add(b, "x", false)
	b.batchNorm("bn", "x", "x", 4, 0.8)
	b.scale("sc", "x", "x", 4, true)
	b.add("relu", &graph.ReLU{}, []string{"x"}, []string{"x"})  // x#3
	b.add("relu2", &graph.ReLU{}, []string{"x"}, []string{"y"}) // reads x#3
	b.add("silence", &graph.Silence{}, []string{"x", "y"}, nil) // everything is silenced
	in := b.feeds()
	before, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	reps, err := passes.Run(b.g, map[string]bool{"x#3": true}, passes.FuseBatchNorm{}, &passes.DeadCode{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || reps[0].Count(passes.Folded) != 1 {
		t.Fatalf("%v", reps)
	}
	// x#3 became x#1 and stays because it is kept; relu2 and the silence go.
	if got, want := entryLayers(reps[1], passes.Removed), []string{"relu2", "silence"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("removed %v, want %v\n%s", got, want, reps[1])
	}
	if got, want := nodeNames(b.g), []string{"data", "prod", "relu"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes %v, want %v", got, want)
	}
	for _, v := range b.g.Values {
		if len(v.Shape) == 0 {
			t.Errorf("value %s has no shape after Run", v.Name())
		}
	}
	if s := b.g.Blob("x").Shape; !s.Equal(graph.Shape{2, 4, 6, 6}) {
		t.Errorf("x shape %v", s)
	}
	checkConsistent(t, b.g)
	after, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	checkSameValues(t, b.g, before, after, reps[0].Renamed)
}
