package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// reductionLayer reduces all axes from axis on to one value per leading
// index: SUM, ASUM (Σ|x|), SUMSQ (Σx²) or MEAN, each times coeff. The top
// has shape bottom[:axis] (a scalar for axis 0).
type reductionLayer struct {
	io       opIO
	op       graph.ReductionOp
	coeff    float32
	num, dim int
}

func newReduction(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Reduction](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 1, 1); err != nil {
		return nil, err
	}
	s := in[0]
	axis, err := graph.CanonicalAxis(op.Axis, len(s))
	if err != nil {
		return nil, opErr(n, "axis", "%v", err)
	}
	switch op.Operation {
	case graph.ReduceSum, graph.ReduceAsum, graph.ReduceSumSq, graph.ReduceMean:
	default:
		return nil, opErr(n, "operation", "unknown operation %d", op.Operation)
	}
	l := &reductionLayer{io: newOpIO(n, in, out), op: op.Operation, coeff: op.Coeff,
		num: s.CountRange(0, axis), dim: s.CountRange(axis, len(s))}
	if out[0].Count() != l.num {
		return nil, opErr(n, "top[0]", "shape %v does not hold the %d reduced values of bottom shape %v at axis %d", out[0], l.num, s, axis)
	}
	// Caffe folds MEAN into the coefficient (reduction_layer.cpp Reshape).
	if l.op == graph.ReduceMean && l.dim > 0 {
		l.coeff /= float32(l.dim)
	}
	return l, nil
}

func (l *reductionLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	for i := 0; i < l.num; i++ {
		var acc float64
		for _, v := range src[i*l.dim : (i+1)*l.dim] {
			switch l.op {
			case graph.ReduceAsum:
				acc += math.Abs(float64(v))
			case graph.ReduceSumSq:
				acc += float64(v) * float64(v)
			default:
				acc += float64(v)
			}
		}
		dst[i] = float32(acc)
		if l.coeff != 1 {
			dst[i] *= l.coeff
		}
	}
	return nil
}
