package passes_test

import (
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/graph/passes"
)

// fillMissingParams gives every unloaded param a random value of the shape
// Caffe would create: fan-in scaled weights, positive variances and
// gammas, so activations stay in range through deep nets.
func fillMissingParams(t *testing.T, g *graph.Graph, rng *rand.Rand) {
	t.Helper()
	uniform := func(s graph.Shape, lo, hi float64) *graph.Tensor {
		x := graph.NewTensor(s)
		for i := range x.Data {
			x.Data[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return x
	}
	for _, n := range g.Nodes {
		shapes, err := graph.ParamShapesOf(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Params) < len(shapes) {
			n.Params = append(n.Params, make([]*graph.Tensor, len(shapes)-len(n.Params))...)
		}
		for i, s := range shapes {
			if n.Params[i] != nil {
				continue
			}
			switch n.Op.(type) {
			case *graph.BatchNorm:
				switch i {
				case 0:
					n.Params[i] = uniform(s, -0.5, 0.5)
				case 1:
					n.Params[i] = uniform(s, 0.5, 1.5)
				default:
					n.Params[i] = uniform(s, 1, 1)
				}
			case *graph.Scale:
				if i == 0 {
					n.Params[i] = uniform(s, 0.5, 1.5)
				} else {
					n.Params[i] = uniform(s, -0.3, 0.3)
				}
			default:
				fan := 1.0
				if len(s) > 1 && s[0] > 0 {
					fan = float64(s.Count() / s[0])
				}
				r := math.Sqrt(3 / fan)
				if len(s) == 1 {
					r = 0.1
				}
				n.Params[i] = uniform(s, -r, r)
			}
		}
	}
}

// TestZooFold folds real zoo nets (random weights where the zoo has none)
// and checks that every surviving value still matches the unfused net.
// It needs CAFFETOOL_SHARED (e.g. /work/shared).
func TestZooFold(t *testing.T) {
	shared := os.Getenv("CAFFETOOL_SHARED")
	if shared == "" {
		t.Skip("CAFFETOOL_SHARED not set; skipping the zoo fold test")
	}
	for _, tc := range []struct {
		net, weights string
		minFolds     int
	}{
		{"resnet/ResNet-50-deploy.prototxt", "", 53},
		{"mobilenet_v1/mobilenet_deploy.prototxt", "", 27},
		{"mobilenet_v2/mobilenet_v2_deploy.prototxt", "", 52},
		// Pre-activation blocks: BatchNorm after Concat/Pooling is refused,
		// the post-convolution ones fold.
		{"densenet/DenseNet_121.prototxt", "", 59},
	} {
		t.Run(tc.net, func(t *testing.T) {
			zoo := filepath.Join(shared, "zoo")
			w := ""
			if tc.weights != "" {
				w = filepath.Join(zoo, tc.weights)
			}
			net, err := caffe.Load(filepath.Join(zoo, tc.net), w, caffe.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			g := net.Graph
			if err := g.InferShapes(nil); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(41))
			fillMissingParams(t, g, rng)
			in := map[string]*graph.Tensor{}
			for _, v := range g.Inputs() {
				x := graph.NewTensor(v.Shape)
				for i := range x.Data {
					x.Data[i] = float32(rng.Float64()*2 - 1)
				}
				in[v.Blob] = x
			}
			before := runExec(t, g, in)
			reps, err := passes.Run(g, nil, passes.FuseBatchNorm{}, passes.DeadCode{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s%s", reps[0], reps[1])
			if got := reps[0].Count(passes.Folded); got < tc.minFolds {
				t.Fatalf("folded %d chains, want at least %d", got, tc.minFolds)
			}
			after := runExec(t, g, in)
			skip := map[string]bool{}
			for _, n := range g.Nodes {
				if _, ok := n.Op.(*graph.DetectionOutput); ok {
					for _, v := range n.Tops {
						skip[v.Name()] = true // NMS is discontinuous in its scores
					}
				}
			}
			orig := map[string]string{}
			for o, n := range reps[0].Renamed {
				orig[n] = o
			}
			for _, v := range g.Values {
				if skip[v.Name()] {
					continue
				}
				old := v.Name()
				if o, ok := orig[old]; ok {
					old = o
				}
				want := before[old]
				if want == nil {
					t.Fatalf("value %s (was %s) did not exist before", v.Name(), old)
				}
				closeEnough(t, v.Name(), after[v.Name()].data, want.data)
			}
			for _, e := range reps[0].Entries {
				if e.Action == passes.Refused && strings.Contains(e.Reason, "not loaded") {
					t.Errorf("params should all be loaded: %s", e)
				}
			}
		})
	}
}
