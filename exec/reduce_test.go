package exec

import (
	"testing"

	"github.com/caffetool/caffetool/graph"
)

func TestReduction(t *testing.T) {
	x := xT(graph.Shape{2, 3}, 1, -2, 3, 4, 5, -6)
	cases := []struct {
		name  string
		op    *graph.Reduction
		shape graph.Shape
		want  []float32
	}{
		{"sum", &graph.Reduction{Operation: graph.ReduceSum, Axis: 1, Coeff: 1}, graph.Shape{2}, []float32{2, 3}},
		{"asum", &graph.Reduction{Operation: graph.ReduceAsum, Axis: 1, Coeff: 1}, graph.Shape{2}, []float32{6, 15}},
		{"sumsq", &graph.Reduction{Operation: graph.ReduceSumSq, Axis: -1, Coeff: 1}, graph.Shape{2}, []float32{14, 77}},
		{"mean coeff 3", &graph.Reduction{Operation: graph.ReduceMean, Axis: 1, Coeff: 3}, graph.Shape{2}, []float32{2, 3}},
		{"all to a scalar", &graph.Reduction{Operation: graph.ReduceSum, Axis: 0, Coeff: 2}, graph.Shape{}, []float32{10}},
	}
	for _, c := range cases {
		got := xRun(t, "Reduction", c.op, nil, x)
		if !got.Shape.Equal(c.shape) {
			t.Fatalf("%s: shape %v, want %v", c.name, got.Shape, c.shape)
		}
		xNear(t, c.name, got.Data, c.want, 1e-6)
	}
	xWantErr(t, "axis", "Reduction", &graph.Reduction{Operation: graph.ReduceSum, Axis: 2, Coeff: 1}, nil, []*graph.Tensor{x}, "axis")
}

func TestArgMax(t *testing.T) {
	// Three equal maxima: Caffe's partial_sort on (value, index) with
	// std::greater puts the larger index first.
	x := xT(graph.Shape{1, 6}, 3, 1, 3, 2, 3, 0)
	got := xRun(t, "ArgMax", &graph.ArgMax{TopK: 3}, nil, x)
	if !got.Shape.Equal(graph.Shape{1, 1, 3}) {
		t.Fatalf("shape %v", got.Shape)
	}
	xNear(t, "ties", got.Data, []float32{4, 2, 0}, 0)
	got = xRun(t, "ArgMax", &graph.ArgMax{TopK: 1}, nil, x)
	xNear(t, "top 1 tie", got.Data, []float32{4}, 0)
	got = xRun(t, "ArgMax", &graph.ArgMax{TopK: 4, OutMaxVal: true}, nil, x)
	if !got.Shape.Equal(graph.Shape{1, 2, 4}) {
		t.Fatalf("shape %v", got.Shape)
	}
	xNear(t, "with values", got.Data, []float32{4, 2, 0, 3, 3, 3, 3, 2}, 0)

	// Along axis 1 of 1x3x2: per column w.
	x = xT(graph.Shape{1, 3, 2}, 1, 5, 1, 2, 0, 5)
	got = xRun(t, "ArgMax", &graph.ArgMax{TopK: 1, HasAxis: true, Axis: 1}, nil, x)
	xNear(t, "axis top 1", got.Data, []float32{1, 2}, 0)
	got = xRun(t, "ArgMax", &graph.ArgMax{TopK: 2, HasAxis: true, Axis: 1}, nil, x)
	if !got.Shape.Equal(graph.Shape{1, 2, 2}) {
		t.Fatalf("shape %v", got.Shape)
	}
	xNear(t, "axis top 2", got.Data, []float32{1, 2, 0, 0}, 0)
	got = xRun(t, "ArgMax", &graph.ArgMax{TopK: 2, HasAxis: true, Axis: -2, OutMaxVal: true}, nil, x)
	xNear(t, "axis values", got.Data, []float32{1, 5, 1, 5}, 0)
	// top_k equal to the axis size keeps the shape (and may run in place).
	got = xRun(t, "ArgMax", &graph.ArgMax{TopK: 3, HasAxis: true, Axis: 1}, nil, x)
	xNear(t, "full sort", got.Data, []float32{1, 2, 0, 0, 2, 1}, 0)

	xWantErr(t, "top_k too big", "ArgMax", &graph.ArgMax{TopK: 4, HasAxis: true, Axis: 1}, nil, []*graph.Tensor{x}, "top_k")
	xWantErr(t, "top_k 0", "ArgMax", &graph.ArgMax{TopK: 0}, nil, []*graph.Tensor{x}, "top_k")
}
