package caffe

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// conformanceCase is the part of a conformance case.json the loader tests use.
type conformanceCase struct {
	Weights         *string            `json:"weights"`
	Params          map[string][][]int `json:"params"`
	Layers          [][2]string        `json:"layers"`
	AutoSplitLayers []string           `json:"auto_split_layers"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkLayers compares the graph's nodes with Caffe's net.layers, leaving
// out the Split layers Caffe inserts itself.
func checkLayers(t *testing.T, g *graph.Graph, layers [][2]string, autoSplit []string) {
	t.Helper()
	skip := map[string]bool{}
	for _, s := range autoSplit {
		skip[s] = true
	}
	var want [][2]string
	for _, l := range layers {
		if !skip[l[0]] {
			want = append(want, l)
		}
	}
	if len(want) != len(g.Nodes) {
		t.Fatalf("%d nodes, Caffe has %d layers (without auto splits)", len(g.Nodes), len(want))
	}
	for i, n := range g.Nodes {
		if n.Name != want[i][0] || n.Type != want[i][1] {
			t.Errorf("node %d is %s (%s), Caffe has %s (%s)", i, n.Name, n.Type, want[i][0], want[i][1])
		}
	}
}

// checkParams compares loaded Node.Params shapes with Caffe's net.params:
// every layer Caffe lists has exactly those blobs, loaded; no other node
// has any.
func checkParams(t *testing.T, g *graph.Graph, params map[string][][]int) {
	t.Helper()
	for _, n := range g.Nodes {
		want, ok := params[n.Name]
		if !ok {
			if len(n.Params) != 0 {
				t.Errorf("%s: %d params, Caffe has none", n.Name, len(n.Params))
			}
			continue
		}
		if len(n.Params) != len(want) {
			t.Errorf("%s: %d params, Caffe has %d", n.Name, len(n.Params), len(want))
			continue
		}
		for j, p := range n.Params {
			if p == nil {
				t.Errorf("%s param %d not loaded", n.Name, j)
				continue
			}
			if !p.Shape.Equal(graph.Shape(want[j])) {
				t.Errorf("%s param %d: shape %v, Caffe has %v", n.Name, j, p.Shape, want[j])
			}
			if len(p.Data) != p.Shape.Count() {
				t.Errorf("%s param %d: %d values for shape %v", n.Name, j, len(p.Data), p.Shape)
			}
		}
	}
	for name := range params {
		if g.Node(name) == nil {
			t.Errorf("Caffe has params for %s, which is not a node", name)
		}
	}
}

// checkValues compares each loaded param with the blob of the first
// caffemodel layer of the node's name (or, through sharing, of the owner).
func checkValues(t *testing.T, g *graph.Graph, modelPath string) {
	t.Helper()
	data, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	model, err := DecodeNet(modelPath, data)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := UpgradeNet(model); err != nil {
		t.Fatal(err)
	}
	blobs := map[string][]*caffepb.BlobProto{}
	for _, l := range model.Layer {
		blobs[l.GetName()] = l.Blobs
	}
	for _, n := range g.Nodes {
		src, ok := blobs[n.Name]
		if !ok || len(src) == 0 {
			continue
		}
		for j, p := range n.Params {
			want, err := BlobData(src[j])
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != len(p.Data) {
				t.Fatalf("%s param %d: %d values, caffemodel has %d", n.Name, j, len(p.Data), len(want))
			}
			for k := range want {
				if want[k] != p.Data[k] {
					t.Fatalf("%s param %d value %d: %g, caffemodel has %g", n.Name, j, k, p.Data[k], want[k])
				}
			}
		}
	}
}

// checkUnused recomputes which caffemodel layers with blobs have no node.
func checkUnused(t *testing.T, g *graph.Graph, modelPath string, got []string) {
	t.Helper()
	data, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	model, err := DecodeNet(modelPath, data)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range model.GetLayer() {
		if len(l.Blobs) > 0 && g.Node(l.GetName()) == nil {
			want = append(want, l.GetName())
		}
	}
	for _, l := range model.GetLayers() {
		if len(l.Blobs) > 0 && g.Node(l.GetName()) == nil {
			want = append(want, l.GetName())
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Unused = %q, want %q", got, want)
	}
}

// TestLoadConformanceCases loads every per-layer conformance case with its
// weights and checks layers, parameter shapes and values against what
// Caffe held.
func TestLoadConformanceCases(t *testing.T) {
	root := sharedRoot(t)
	dirs, err := filepath.Glob(filepath.Join(root, "conformance", "layers", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no conformance cases (%v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var c conformanceCase
			readJSON(t, filepath.Join(dir, "case.json"), &c)
			weights := ""
			if c.Weights != nil {
				weights = filepath.Join(dir, *c.Weights)
			}
			net, err := Load(filepath.Join(dir, "net.prototxt"), weights, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkLayers(t, net.Graph, c.Layers, c.AutoSplitLayers)
			if weights == "" {
				if len(c.Params) != 0 {
					t.Fatalf("case has params but no weights")
				}
				return
			}
			rep := net.Report
			if len(rep.Mismatch)+len(rep.Missing)+len(rep.Unchecked) != 0 {
				t.Errorf("report %+v, want no mismatch, missing or unchecked layers", *rep)
			}
			checkUnused(t, net.Graph, weights, rep.Unused)
			checkParams(t, net.Graph, c.Params)
			checkValues(t, net.Graph, weights)
		})
	}
}

// The caffemodel holds only conv_a; conv_b takes weight and bias through
// `param { name }` sharing and so holds the owner's very tensors.
func TestLoadSharedOwnerOnly(t *testing.T) {
	root := sharedRoot(t)
	dir := filepath.Join(root, "conformance", "layers", "shared_weights_owner_only_in_caffemodel")
	net, err := Load(filepath.Join(dir, "net.prototxt"), filepath.Join(dir, "weights.caffemodel"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Graph.Node("conv_a"), net.Graph.Node("conv_b")
	for j := 0; j < 2; j++ {
		if a.Params[j] == nil || a.Params[j] != b.Params[j] {
			t.Errorf("param %d: conv_b does not share conv_a's tensor", j)
		}
	}
	dir = filepath.Join(root, "conformance", "layers", "shared_weights_conv")
	net, err = Load(filepath.Join(dir, "net.prototxt"), filepath.Join(dir, "weights.caffemodel"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b = net.Graph.Node("conv_a"), net.Graph.Node("conv_b")
	if a.Params[0] != b.Params[0] || a.Params[1] == b.Params[1] {
		t.Error("shared_weights_conv: want the weight shared and the biases separate")
	}
}

// shapesFile is the part of a conformance shapes/*.json the tests use.
type shapesFile struct {
	Source          string             `json:"source"`
	Params          map[string][][]int `json:"params"`
	Layers          [][2]string        `json:"layers"`
	AutoSplitLayers []string           `json:"auto_split_layers"`
}

// TestLoadZooShapes loads (without weights) every zoo prototxt Caffe loaded
// for shapes/, and compares the layer list and the parameter shapes our
// decoders imply with Caffe's.
func TestLoadZooShapes(t *testing.T) {
	root := sharedRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "conformance", "shapes", "*.json"))
	if len(files) == 0 {
		t.Fatal("no shapes files")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			var s shapesFile
			readJSON(t, f, &s)
			net, err := Load(filepath.Join(root, s.Source), "", LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkLayers(t, net.Graph, s.Layers, s.AutoSplitLayers)
			if err := net.Graph.InferShapes(nil); err != nil {
				t.Fatalf("InferShapes: %v", err)
			}
			for _, n := range net.Graph.Nodes {
				shapes, err := graph.ParamShapesOf(n)
				if err != nil {
					t.Fatal(err)
				}
				want := s.Params[n.Name]
				if len(shapes) != len(want) {
					t.Errorf("%s: %d params, Caffe has %d", n.Name, len(shapes), len(want))
					continue
				}
				for j := range shapes {
					if !shapes[j].Equal(graph.Shape(want[j])) {
						t.Errorf("%s param %d: %v, Caffe has %v", n.Name, j, shapes[j], want[j])
					}
				}
			}
		})
	}
}
