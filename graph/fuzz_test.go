package graph_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/fuzzgen"
)

// FuzzShapes builds nets with arbitrary layer parameters and input shapes,
// including zero, negative and overflowing dimensions (fuzzgen's wild
// mode), and checks that shape inference, parameter shapes and costs
// never panic, report errors as one-line *graph.LayerError values, and
// never produce a shape over graph.MaxElements or with a negative axis.
func FuzzShapes(f *testing.F) {
	f.Add([]byte{0, 0, 3, 3, 3, 3, 0, 0, 1, 2, 2, 2, 1, 0})
	f.Add([]byte{1, 0, 200, 200, 200, 200, 3, 3, 3, 3, 37, 5, 5, 5, 5, 5, 39, 1, 250})
	f.Add([]byte("\x00\x00\xf7\xf7\xf7\xf7\x25\x04\x01\x01\x01\x01\x01\x27\x27\x27"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := fuzzgen.Net(data, fuzzgen.Limits{MaxDim: 300, MaxLayers: 12, Wild: true})
		if err != nil {
			var le *graph.LayerError
			if !errors.As(err, &le) {
				t.Fatalf("Graph.Add error is not a *graph.LayerError: %v", err)
			}
			return
		}
		for _, err := range g.InferShapesPartial(nil) {
			checkLayerError(t, err)
		}
		if err := g.InferShapes(nil); err != nil {
			checkLayerError(t, err)
			return
		}
		for _, v := range g.Values {
			if v.Shape == nil {
				t.Fatalf("blob %s has no shape after a successful InferShapes", v.Name())
			}
			if _, ok := v.Shape.Count64(); !ok {
				t.Fatalf("blob %s: shape %v is over the element limit", v.Name(), v.Shape)
			}
		}
		for _, n := range g.Nodes {
			ps, err := graph.ParamShapesOf(n)
			if err != nil {
				checkLayerError(t, err)
				continue
			}
			for i, s := range ps {
				if _, ok := s.Count64(); !ok {
					t.Fatalf("layer %s param %d: shape %v is over the element limit", n.Name, i, s)
				}
			}
			if fs := graph.FillersOf(n); len(fs) != len(ps) {
				if _, bn := n.Op.(*graph.BatchNorm); !bn {
					t.Fatalf("layer %s: %d fillers for %d param blobs", n.Name, len(fs), len(ps))
				}
			}
		}
		costs, _, err := g.Costs()
		if err != nil {
			// A per-node failure names the layer; the total may overflow.
			var le *graph.LayerError
			if !errors.As(err, &le) && !strings.Contains(err.Error(), "overflows") {
				t.Fatalf("cost error: %v", err)
			}
			return
		}
		if len(costs) != len(g.Nodes) {
			t.Fatalf("%d costs for %d nodes", len(costs), len(g.Nodes))
		}
	})
}

func checkLayerError(t *testing.T, err error) {
	t.Helper()
	var le *graph.LayerError
	if !errors.As(err, &le) {
		t.Fatalf("error is not a *graph.LayerError: %v", err)
	}
	if le.Layer == "" || le.Type == "" {
		t.Fatalf("error does not name the layer and its type: %v", err)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("error spans lines: %q", err)
	}
}
