package passes_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/graph/passes"
	"github.com/caffetool/caffetool/internal/npy"
)

// runExec compiles g (shapes inferred) and returns every value by name.
func runExec(t *testing.T, g *graph.Graph, in map[string]*graph.Tensor) map[string]*arr {
	t.Helper()
	net, err := exec.Compile(g, exec.Options{KeepAll: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Forward(in); err != nil {
		t.Fatal(err)
	}
	out := map[string]*arr{}
	for _, v := range g.Values {
		x := net.ValueTensor(v)
		out[v.Name()] = &arr{shape: append([]int(nil), x.Shape...), data: f64(x)}
	}
	return out
}

// TestExecEquivalence runs every fold target and chain through package exec
// before and after FuseBatchNorm; the unfused run is also checked against
// the naive reference, so exec and the reference vouch for each other.
func TestExecEquivalence(t *testing.T) {
	seed := int64(1000)
	for _, tg := range foldTargets() {
		for _, cb := range combos {
			for _, inPlace := range []bool{true, false} {
				for _, bias := range []bool{true, false} {
					seed++
					name := fmt.Sprintf("%s/%s/inplace=%v/bias=%v", tg.name, cb.name, inPlace, bias)
					t.Run(name, func(t *testing.T) {
						b := chainNet(t, tg, cb.stages, inPlace, bias, seed)
						g := b.g
						in := b.feeds()
						if err := g.InferShapes(nil); err != nil {
							t.Fatal(err)
						}
						before := runExec(t, g, in)
						ref, err := refForward(g, in)
						if err != nil {
							t.Fatal(err)
						}
						for name, want := range ref {
							closeEnough(t, "exec vs reference "+name, before[name].data, want.data)
						}
						reps, err := passes.Run(g, nil, passes.FuseBatchNorm{})
						if err != nil {
							t.Fatal(err)
						}
						if reps[0].Count(passes.Folded) != 1 {
							t.Fatalf("%s", reps[0])
						}
						after := runExec(t, g, in)
						checkSameValues(t, g, before, after, reps[0].Renamed)
					})
				}
			}
		}
	}
}

// TestFoldMatchesCaffe folds the conformance nets whose outputs real Caffe
// computed and compares every blob of the fused net with Caffe's. It needs
// CAFFETOOL_SHARED (e.g. /work/shared).
func TestFoldMatchesCaffe(t *testing.T) {
	shared := os.Getenv("CAFFETOOL_SHARED")
	if shared == "" {
		t.Skip("CAFFETOOL_SHARED not set; skipping the Caffe conformance fold test")
	}
	for _, tc := range []struct {
		name  string
		folds int
	}{
		{"chain_conv_bn_scale_relu_distinct", 1},
		{"chain_conv_bn_scale_relu_inplace", 1},
		{"resnet_block_mini", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(shared, "conformance", "layers", tc.name)
			net, err := caffe.Load(filepath.Join(dir, "net.prototxt"), filepath.Join(dir, "weights.caffemodel"), caffe.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			g := net.Graph
			reps, err := passes.Run(g, nil, passes.FuseBatchNorm{}, passes.DeadCode{})
			if err != nil {
				t.Fatal(err)
			}
			if got := reps[0].Count(passes.Folded); got != tc.folds || reps[0].Count(passes.Refused) != 0 || reps[1].Count(passes.Removed) != 0 {
				t.Fatalf("%s%s", reps[0], reps[1])
			}
			in := map[string]*graph.Tensor{}
			for _, v := range g.Inputs() {
				x, err := npy.Read(filepath.Join(dir, "inputs", v.Blob+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				in[v.Blob] = x
			}
			got := runExec(t, g, in)
			compared := 0
			for _, v := range g.Values {
				// Caffe's net.blobs holds each blob's newest version.
				if g.Blob(v.Blob) != v || in[v.Blob] != nil {
					continue
				}
				want, err := npy.Read(filepath.Join(dir, "outputs", v.Blob+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				closeEnough(t, v.Name(), got[v.Name()].data, f64(want))
				compared++
			}
			if compared == 0 {
				t.Fatal("nothing compared")
			}
		})
	}
}

// TestFoldScaleFactorZero: a BatchNorm whose stored scale factor is 0 uses
// mean = var = 0 whatever blobs 0 and 1 hold (Caffe's 1/s guard).
func TestFoldScaleFactorZero(t *testing.T) {
	b := newBuilder(t, 31)
	foldTargets()[0].add(b, "x", true)
	b.batchNorm("bn", "x", "x", 4, 1).Params[2].Data[0] = 0
	b.add("relu", &graph.ReLU{}, []string{"x"}, []string{"x"})
	in := b.feeds()
	if err := b.g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	before := runExec(t, b.g, in)
	ref, err := refForward(b.g, in)
	if err != nil {
		t.Fatal(err)
	}
	closeEnough(t, "exec vs reference", before["x#2"].data, ref["x#2"].data)
	reps, err := passes.Run(b.g, nil, passes.FuseBatchNorm{})
	if err != nil {
		t.Fatal(err)
	}
	if reps[0].Count(passes.Folded) != 1 {
		t.Fatalf("%s", reps[0])
	}
	checkSameValues(t, b.g, before, runExec(t, b.g, in), reps[0].Renamed)
}

// TestRunKeepsGivenInputShapes: a data layer whose shape was given by the
// user (--input) keeps it when Run re-infers shapes.
func TestRunKeepsGivenInputShapes(t *testing.T) {
	b := newBuilder(t, 32)
	b.add("data", &graph.DataSource{Kind: "Data", Shapes: []graph.Shape{nil}}, nil, []string{"data"})
	b.add("conv", &graph.Conv{NumOutput: 4, Kernel: []int{3}, Group: 1, Axis: 1}, []string{"data"}, []string{"c"}, b.uniform(-0.5, 0.5, 4, 3, 3, 3))
	b.batchNorm("bn", "c", "c", 4, 0.8)
	if err := b.g.InferShapes(map[string]graph.Shape{"data": {2, 3, 6, 6}}); err != nil {
		t.Fatal(err)
	}
	reps, err := passes.Run(b.g, nil, passes.FuseBatchNorm{})
	if err != nil {
		t.Fatal(err)
	}
	if reps[0].Count(passes.Folded) != 1 || !b.g.Blob("c").Shape.Equal(graph.Shape{2, 4, 4, 4}) {
		t.Fatalf("shape %v\n%s", b.g.Blob("c").Shape, reps[0])
	}
}
