package graph

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestAlexNetMatchesCaffe builds zoo/bvlc_alexnet/deploy.prototxt by hand
// and compares every blob and param shape with what real Caffe inferred
// (conformance/shapes/bvlc_alexnet__deploy.json).
func TestAlexNetMatchesCaffe(t *testing.T) {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("set CAFFETOOL_SHARED=/work/shared to compare with Caffe's shapes")
	}
	raw, err := os.ReadFile(filepath.Join(root, "conformance/shapes/bvlc_alexnet__deploy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Blobs  [][2]json.RawMessage `json:"blobs"`
		Params map[string][]Shape   `json:"params"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}

	g := New("AlexNet")
	c := func(name, bottom string, n, k, s, p, group int) {
		add(t, g, name, &Conv{NumOutput: n, BiasTerm: true, Kernel: ints(k), Stride: ints(s), Pad: ints(p), Group: group, Axis: 1}, strs(bottom), strs(name))
		add(t, g, "relu"+name[len(name)-1:], &ReLU{}, strs(name), strs(name))
	}
	fc := func(name, bottom string, n int) {
		add(t, g, name, &InnerProduct{NumOutput: n, BiasTerm: true, Axis: 1}, strs(bottom), strs(name))
	}
	add(t, g, "data", &Input{Shapes: []Shape{{10, 3, 227, 227}}}, nil, strs("data"))
	c("conv1", "data", 96, 11, 4, 0, 1)
	add(t, g, "norm1", &LRN{LocalSize: 5, Alpha: 1e-4, Beta: 0.75, K: 1}, strs("conv1"), strs("norm1"))
	add(t, g, "pool1", pool(PoolMax, 3, 2, 0), strs("norm1"), strs("pool1"))
	c("conv2", "pool1", 256, 5, 1, 2, 2)
	add(t, g, "norm2", &LRN{LocalSize: 5, Alpha: 1e-4, Beta: 0.75, K: 1}, strs("conv2"), strs("norm2"))
	add(t, g, "pool2", pool(PoolMax, 3, 2, 0), strs("norm2"), strs("pool2"))
	c("conv3", "pool2", 384, 3, 1, 1, 1)
	c("conv4", "conv3", 384, 3, 1, 1, 2)
	c("conv5", "conv4", 256, 3, 1, 1, 2)
	add(t, g, "pool5", pool(PoolMax, 3, 2, 0), strs("conv5"), strs("pool5"))
	fc("fc6", "pool5", 4096)
	add(t, g, "relu6", &ReLU{}, strs("fc6"), strs("fc6"))
	add(t, g, "drop6", &Dropout{Ratio: 0.5}, strs("fc6"), strs("fc6"))
	fc("fc7", "fc6", 4096)
	add(t, g, "relu7", &ReLU{}, strs("fc7"), strs("fc7"))
	add(t, g, "drop7", &Dropout{Ratio: 0.5}, strs("fc7"), strs("fc7"))
	fc("fc8", "fc7", 1000)
	add(t, g, "prob", &Softmax{Axis: 1}, strs("fc8"), strs("prob"))

	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	if len(ref.Blobs) != 15 {
		t.Fatalf("reference lists %d blobs", len(ref.Blobs))
	}
	for _, b := range ref.Blobs {
		var name string
		var want Shape
		if err := json.Unmarshal(b[0], &name); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b[1], &want); err != nil {
			t.Fatal(err)
		}
		if v := g.Blob(name); v == nil {
			t.Errorf("blob %s missing", name)
		} else if !v.Shape.Equal(want) {
			t.Errorf("blob %s: got %v, Caffe %v", name, v.Shape, want)
		}
	}
	for layer, want := range ref.Params {
		got, err := ParamShapesOf(g.Node(layer))
		if err != nil || !shapesEqual(got, want) {
			t.Errorf("params of %s: got %v (%v), Caffe %v", layer, got, err, want)
		}
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
}
