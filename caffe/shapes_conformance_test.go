package caffe_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/caffe"
)

// sharedDir returns $CAFFETOOL_SHARED or skips the test.
func sharedDir(t testing.TB) string {
	d := os.Getenv("CAFFETOOL_SHARED")
	if d == "" {
		t.Skip("CAFFETOOL_SHARED not set; skipping test on ../shared reference data")
	}
	return d
}

type shapesCase struct {
	Source          string               `json:"source"`
	Blobs           [][2]json.RawMessage `json:"blobs"`
	Params          map[string][][]int   `json:"params"`
	Layers          [][2]string          `json:"layers"`
	AutoSplitLayers []string             `json:"auto_split_layers"`
	Inputs          []string             `json:"inputs"`
	Outputs         []string             `json:"outputs"`
}

// TestShapesMatchCaffe loads every zoo net real Caffe loaded and requires
// every blob shape and every param shape to equal what Caffe inferred.
func TestShapesMatchCaffe(t *testing.T) {
	shared := sharedDir(t)
	files, _ := filepath.Glob(filepath.Join(shared, "conformance", "shapes", "*.json"))
	if len(files) == 0 {
		t.Fatal("no shapes files found")
	}
	for _, f := range files {
		f := f
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			var c shapesCase
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			net, err := caffe.Load(filepath.Join(shared, c.Source), "", caffe.LoadOptions{})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			g := net.Graph
			if err := g.InferShapes(nil); err != nil {
				t.Fatalf("infer: %v", err)
			}
			splits := map[string]bool{}
			for _, l := range c.AutoSplitLayers {
				splits[l] = true
			}
			checked := 0
			// Blobs made by auto-inserted Split layers are Caffe's own copies;
			// we do not insert splits.
			for _, b := range c.Blobs {
				var name string
				var shape []int
				if err := json.Unmarshal(b[0], &name); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b[1], &shape); err != nil {
					t.Fatal(err)
				}
				if isSplitBlob(name, c.AutoSplitLayers) {
					continue
				}
				v := g.Blob(name)
				if v == nil {
					t.Errorf("blob %s: missing (Caffe: %v)", name, shape)
					continue
				}
				if !equalInts(v.Shape, shape) {
					t.Errorf("blob %s: got %v, Caffe %v", name, v.Shape, shape)
				}
				checked++
			}
			for layer, shapes := range c.Params {
				n := g.Node(layer)
				if n == nil {
					t.Errorf("layer %s with params missing", layer)
					continue
				}
				got, err := paramShapes(n)
				if err != nil {
					t.Errorf("layer %s params: %v", layer, err)
					continue
				}
				if len(got) != len(shapes) {
					t.Errorf("layer %s: %d param blobs, Caffe %d", layer, len(got), len(shapes))
					continue
				}
				for i := range shapes {
					if !equalInts(got[i], shapes[i]) {
						t.Errorf("layer %s param %d: got %v, Caffe %v", layer, i, got[i], shapes[i])
					}
				}
			}
			// Layer list (minus auto splits) must match in order and type.
			var want [][2]string
			for _, l := range c.Layers {
				if !splits[l[0]] {
					want = append(want, l)
				}
			}
			if len(want) != len(g.Nodes) {
				t.Errorf("%d layers, Caffe %d", len(g.Nodes), len(want))
			} else {
				for i, l := range want {
					n := g.Nodes[i]
					if n.Name != l[0] || n.Op.Type() != l[1] {
						t.Errorf("layer %d: got %s (%s), Caffe %s (%s)", i, n.Name, n.Op.Type(), l[0], l[1])
					}
				}
			}
			if checked == 0 {
				t.Errorf("no blobs checked")
			}
		})
	}
}

// isSplitBlob recognises the tops of Caffe's auto-inserted Split layers:
// "<layer>_<blob>_<i>_split_<j>" for a split layer "<layer>_<blob>_<i>_split".
func isSplitBlob(name string, splitLayers []string) bool {
	for _, l := range splitLayers {
		if strings.HasPrefix(name, l+"_") {
			return true
		}
	}
	return false
}

func equalInts[T ~int, U ~int](a []T, b []U) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if int(a[i]) != int(b[i]) {
			return false
		}
	}
	return true
}
