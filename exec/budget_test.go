package exec

import (
	"errors"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// budgetNet is data → Tile ×tiles → ReLU: its activations are
// 4·n·(1 + 2·tiles) bytes for an n-element input (the ReLU may reuse the
// Tile's buffer when nothing keeps it).
func budgetNet(t *testing.T, n, tiles int) *graph.Graph {
	t.Helper()
	g := graph.New("budget")
	add := func(node *graph.Node, bottoms, tops []string) {
		if err := g.Add(node, bottoms, tops); err != nil {
			t.Fatal(err)
		}
	}
	add(&graph.Node{Name: "data", Type: "Input", Op: &graph.Input{Shapes: []graph.Shape{{1, n}}}}, nil, []string{"data"})
	add(&graph.Node{Name: "tile", Type: "Tile", Op: &graph.Tile{Axis: 1, Tiles: tiles}}, []string{"data"}, []string{"tile"})
	add(&graph.Node{Name: "relu", Type: "ReLU", Op: &graph.ReLU{}}, []string{"tile"}, []string{"relu"})
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	return g
}

func withMaxBytes(t *testing.T, b int64) {
	old := MaxBytes
	MaxBytes = b
	t.Cleanup(func() { MaxBytes = old })
}

func TestBudgetRefusesBeforeAllocating(t *testing.T) {
	g := budgetNet(t, 256, 1000) // 256K-element tile: 1 MiB per buffer
	withMaxBytes(t, 1<<20)
	_, err := Compile(g, Options{KeepAll: true})
	var be *BudgetError
	if !errors.As(err, &be) || be.What != "activations" || be.Limit != 1<<20 || be.Need <= be.Limit {
		t.Fatalf("Compile over budget: %v", err)
	}
	if !strings.Contains(err.Error(), `blob "tile"`) || !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("message does not name the largest blob and the limit: %v", err)
	}
	withMaxBytes(t, 8<<20)
	if _, err := Compile(g, Options{KeepAll: true}); err != nil {
		t.Fatalf("Compile within budget: %v", err)
	}
}

// TestBudgetReshape: growing an input past the budget fails, and the net
// keeps running with its previous shapes' buffers.
func TestBudgetReshape(t *testing.T) {
	g := budgetNet(t, 4, 3)
	withMaxBytes(t, 1<<20)
	net, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var be *BudgetError
	if err := net.Reshape(map[string]graph.Shape{"data": {1, 1 << 20}}); !errors.As(err, &be) {
		t.Fatalf("Reshape over budget: %v", err)
	}
	if err := net.Reshape(map[string]graph.Shape{"data": {1, 4}}); err != nil {
		t.Fatal(err)
	}
	in := &graph.Tensor{Shape: graph.Shape{1, 4}, Data: []float32{-1, 2, -3, 4}}
	if err := net.Forward(map[string]*graph.Tensor{"data": in}); err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 2, 0, 4, 0, 2, 0, 4, 0, 2, 0, 4}
	got := net.Blob("relu").Data
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("relu = %v, want %v", got, want)
		}
	}
}

func TestParamBudget(t *testing.T) {
	g := graph.New("p")
	if err := g.Add(&graph.Node{Name: "data", Type: "Input", Op: &graph.Input{Shapes: []graph.Shape{{1, 1024}}}}, nil, []string{"data"}); err != nil {
		t.Fatal(err)
	}
	fc := &graph.Node{Name: "fc", Type: "InnerProduct", Op: &graph.InnerProduct{NumOutput: 512, Axis: 1,
		WeightFiller: graph.DefaultFiller(), BiasFiller: graph.DefaultFiller()}}
	if err := g.Add(fc, []string{"data"}, []string{"fc"}); err != nil {
		t.Fatal(err)
	}
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	withMaxBytes(t, 1<<20) // the weights are 2 MiB
	var be *BudgetError
	if _, err := InitParams(g, 1, false); !errors.As(err, &be) || be.What != "parameters" || !strings.Contains(err.Error(), `layer "fc" param[0] 512x1024, 2 MiB`) {
		t.Fatalf("InitParams over budget: %v", err)
	}
	if fc.Params != nil {
		t.Error("params were created before the budget check")
	}
	withMaxBytes(t, 4<<20)
	if _, err := InitParams(g, 1, false); err != nil {
		t.Fatal(err)
	}
}

func TestFormatBytes(t *testing.T) {
	for _, c := range []struct {
		b    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1 KiB"}, {1536, "1.5 KiB"}, {4 << 30, "4 GiB"}, {1<<63 - 1, "8 EiB"}} {
		if got := formatBytes(c.b); got != c.want {
			t.Errorf("formatBytes(%d) = %q, want %q", c.b, got, c.want)
		}
	}
}
