package exec

import (
	"testing"

	"github.com/caffetool/caffetool/graph"
)

func TestEltwise(t *testing.T) {
	s := graph.Shape{1, 3}
	a, b, c := xT(s, 1, -2, 3), xT(s, 4, 5, -6), xT(s, 0.5, 0.5, 2)

	got := xRun(t, "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, nil, a, b)
	xNear(t, "sum", got.Data, []float32{5, 3, -3}, 0)
	got = xRun(t, "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum, Coeff: []float32{1, -0.5, 2}}, nil, a, b, c)
	xNear(t, "sum coeff", got.Data, []float32{0, -3.5, 10}, 1e-7)
	got = xRun(t, "Eltwise", &graph.Eltwise{Operation: graph.EltwiseProd}, nil, a, b, c)
	xNear(t, "prod", got.Data, []float32{2, -5, -36}, 0)
	got = xRun(t, "Eltwise", &graph.Eltwise{Operation: graph.EltwiseMax}, nil, a, b, c)
	xNear(t, "max", got.Data, []float32{4, 5, 3}, 0)
	// Coefficients are accepted (and ignored) for MAX, as in Caffe.
	got = xRun(t, "Eltwise", &graph.Eltwise{Operation: graph.EltwiseMax, Coeff: []float32{9, 9}}, nil, a, b)
	xNear(t, "max coeff", got.Data, []float32{4, 5, 3}, 0)

	// The top may alias the second bottom too.
	l, _, err := xBuild("Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, nil, 1, []graph.Shape{s, s})
	if err != nil {
		t.Fatal(err)
	}
	bb := b.Clone()
	if err := l.Forward([]*graph.Tensor{a, bb}, []*graph.Tensor{bb}); err != nil {
		t.Fatal(err)
	}
	xNear(t, "alias bottom 1", bb.Data, []float32{5, 3, -3}, 0)
}

func TestEltwiseErrors(t *testing.T) {
	s := graph.Shape{1, 3}
	a, b := xT(s, 1, 2, 3), xT(s, 4, 5, 6)
	xWantErr(t, "coeff count", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum, Coeff: []float32{1}}, nil, []*graph.Tensor{a, b}, "coeff")
	xWantErr(t, "prod coeff", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseProd, Coeff: []float32{1, 1}}, nil, []*graph.Tensor{a, b}, "coeff")
	xWantErr(t, "shapes", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, nil, []*graph.Tensor{a, xT(graph.Shape{3, 1}, 1, 2, 3)}, "shape")
	xWantErr(t, "one bottom", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, nil, []*graph.Tensor{a}, "bottom")
	xWantErr(t, "unknown op", "Eltwise", &graph.Eltwise{Operation: 7}, nil, []*graph.Tensor{a, b}, "operation")
}
