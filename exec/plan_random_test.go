package exec_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/fuzzgen"
)

// TestPlanRandomNets runs random small nets (internal/fuzzgen: any layer
// type, wiring and in-place use) three ways: every value kept; with
// buffer reuse, in-place rewrites and fusion (default options, 1 and 3
// goroutines); and keeping a random subset of values. Every value the
// planned nets let one read must equal the fully kept net's bit for bit.
func TestPlanRandomNets(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	ran, fused, views := 0, 0, 0
	for seed := 0; seed < 60000 && ran < 300; seed++ {
		data := make([]byte, 40+r.IntN(160))
		for i := range data {
			data[i] = byte(r.IntN(256))
		}
		g, err := fuzzgen.Net(data, fuzzgen.Limits{MaxDim: 6, MaxLayers: 8})
		if err != nil || g.InferShapes(nil) != nil || !planSmall(g) {
			continue
		}
		if _, err := exec.InitParams(g, uint64(seed), false); err != nil {
			continue
		}
		all, err := exec.Compile(g, exec.Options{KeepAll: true, Threads: 1})
		if err != nil {
			continue
		}
		in := map[string]*graph.Tensor{}
		for _, v := range all.Inputs() {
			x := graph.NewTensor(v.Shape)
			for i := range x.Data {
				x.Data[i] = float32(r.IntN(7) - 2) // small integers serve as indices and labels too
			}
			in[v.Blob] = x
		}
		if all.Forward(in) != nil {
			continue
		}
		ran++
		var keep []string
		for _, v := range g.Values {
			if r.IntN(4) == 0 {
				keep = append(keep, v.Name())
			}
		}
		for _, opts := range []exec.Options{{Threads: 1}, {Threads: 3}, {Keep: keep}} {
			net, err := exec.Compile(g, opts)
			if err != nil {
				t.Fatalf("seed %d %+v: compile: %v", seed, opts, err)
			}
			for _, n := range g.Nodes {
				switch role := net.Role(n); {
				case role == "view":
					views++
				case role != "":
					fused++
				}
			}
			for pass := 0; pass < 2; pass++ {
				if err := net.Forward(in); err != nil {
					t.Fatalf("seed %d %+v: forward: %v", seed, opts, err)
				}
				for _, v := range g.Values {
					got := net.ValueTensor(v)
					if got == nil {
						continue
					}
					want := all.ValueTensor(v)
					if !got.Shape.Equal(want.Shape) {
						t.Fatalf("seed %d %+v: %s shape %v, want %v", seed, opts, v.Name(), got.Shape, want.Shape)
					}
					for i := range got.Data {
						a, b := got.Data[i], want.Data[i]
						if math.Float32bits(a) != math.Float32bits(b) && !(a != a && b != b) {
							t.Fatalf("seed %d %+v pass %d: %s[%d] = %v, want %v\nnet: %s", seed, opts, pass, v.Name(), i, a, b, describe(net))
						}
					}
				}
			}
		}
	}
	if ran < 100 {
		t.Fatalf("only %d random nets ran", ran)
	}
	if views == 0 {
		t.Errorf("no view in %d random nets", ran)
	}
	t.Logf("%d random nets: %d fused layers, %d views", ran, fused, views)
}

func planSmall(g *graph.Graph) bool {
	total := 0
	for _, v := range g.Values {
		total += v.Shape.Count()
	}
	_, cost, err := g.Costs()
	return total <= 1<<17 && err == nil && cost.MACs <= 5e6
}

func describe(net *exec.Net) string {
	s := ""
	for _, n := range net.Graph().Nodes {
		s += n.Name + "(" + n.Type
		if r := net.Role(n); r != "" {
			s += ", " + r
		}
		s += ") "
	}
	return s
}
