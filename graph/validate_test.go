package graph

import (
	"strings"
	"testing"
)

func TestValidateCleanGraph(t *testing.T) {
	g := smallNet(t)
	if err := g.Validate(); err != nil {
		t.Fatalf("before InferShapes: %v", err)
	}
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	conv := g.Node("conv1")
	conv.Params = []*Tensor{NewTensor(Shape{32, 3, 5, 5}), NewTensor(Shape{32})}
	if err := g.Validate(); err != nil {
		t.Fatalf("valid params rejected: %v", err)
	}
	// A nil entry is a param not loaded yet.
	conv.Params[1] = nil
	if err := g.Validate(); err != nil {
		t.Fatalf("unloaded param rejected: %v", err)
	}
}

func TestValidateErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(g *Graph)
		want string
	}{
		{"param_shape", func(g *Graph) {
			g.Node("conv1").Params = []*Tensor{NewTensor(Shape{32, 3, 3, 3}), NewTensor(Shape{32})}
		}, `layer "conv1" (Convolution) param[0]: shape 32x3x3x3, want 32x3x5x5`},
		{"param_count", func(g *Graph) {
			g.Node("conv1").Params = []*Tensor{NewTensor(Shape{32, 3, 5, 5})}
		}, "has 1 parameter blobs, want 2"},
		{"param_data_length", func(g *Graph) {
			g.Node("ip1").Params = []*Tensor{{Shape: Shape{10, 8192}, Data: make([]float32, 5)}, NewTensor(Shape{10})}
		}, "param[0]: holds 5 values"},
		{"params_on_paramless_layer", func(g *Graph) {
			g.Node("relu1").Params = []*Tensor{NewTensor(Shape{1})}
		}, "has 1 parameter blobs, want 0"},
		{"too_many_param_specs", func(g *Graph) {
			g.Node("ip1").ParamSpecs = make([]ParamSpec, 3)
		}, "too many param specs: 3 given"},
		{"no_op", func(g *Graph) { g.Node("prob").Op = nil }, `layer "prob" (Softmax): layer has no op`},
		{"loss_weight_count", func(g *Graph) { g.Node("prob").LossWeights = []float32{1, 1} }, "loss_weight"},
		{"arity", func(g *Graph) { g.Node("prob").Tops = nil }, "wrong number of tops"},
		{"stale_index", func(g *Graph) { g.Node("prob").Index = 0 }, "call Reindex"},
		{"bottom_from_later_layer", func(g *Graph) {
			g.Node("conv1").Bottoms[0] = g.Blob("prob")
		}, `blob "prob" is not produced by an earlier layer`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := smallNet(t)
			if err := g.InferShapes(nil); err != nil {
				t.Fatal(err)
			}
			c.edit(g)
			err := g.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestValidateInPlaceForbidden(t *testing.T) {
	g := New("inplace")
	add(t, g, "data", &Input{Shapes: []Shape{{2, 3, 4}}}, nil, strs("data"))
	add(t, g, "flat", &Flatten{Axis: 1, EndAxis: -1}, strs("data"), strs("data"))
	err := g.Validate()
	if err == nil || !strings.Contains(err.Error(), "Flatten does not allow in-place computation") {
		t.Fatalf("Validate() = %v", err)
	}
}

func TestValidateJoinsProblems(t *testing.T) {
	g := smallNet(t)
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	g.Node("conv1").Params = []*Tensor{NewTensor(Shape{1}), NewTensor(Shape{2})}
	g.Node("prob").LossWeights = []float32{1, 2, 3}
	err := g.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"param[0]: shape 1, want 32x3x5x5", "param[1]: shape 2, want 32", "loss_weight"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, missing %q", err, want)
		}
	}
}
