package exec

import (
	"github.com/caffetool/caffetool/exec/internal/gemm"
	"github.com/caffetool/caffetool/graph"
)

// ipLayer is InnerProduct: the bottom seen as M×K (M = count before axis,
// K = count from axis) times the weight, N = num_output. The weight is
// stored N×K (y = x·Wᵀ) or, with transpose, K×N (y = x·W).
type ipLayer struct {
	ioSizes
	m, k, n   int
	transpose bool
	weight    []float32
	bias      []float32
}

func newInnerProduct(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.InnerProduct](n)
	if err != nil {
		return nil, err
	}
	if err := coreArity(n, in, out, 1, 1, 1, 1); err != nil {
		return nil, err
	}
	axis, err := graph.CanonicalAxis(op.Axis, len(in[0]))
	if err != nil {
		return nil, coreErr(n, "axis", "%v", err)
	}
	l := &ipLayer{
		ioSizes: newIOSizes(in, out),
		m:       in[0].CountRange(0, axis), k: in[0].CountRange(axis, len(in[0])), n: op.NumOutput,
		transpose: op.Transpose,
	}
	if out[0].Count() != l.m*l.n {
		return nil, coreErr(n, "top[0]", "inferred shape %v does not hold %d×%d outputs", out[0], l.m, l.n)
	}
	if l.weight, err = coreParam(n, 0, l.n*l.k); err != nil {
		return nil, err
	}
	if op.BiasTerm {
		if l.bias, err = coreParam(n, 1, l.n); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *ipLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	x, y := bottoms[0].Data, tops[0].Data
	if l.transpose {
		gemm.Sgemm(false, false, l.m, l.n, l.k, 1, x, l.k, l.weight, l.n, 0, y, l.n)
	} else {
		gemm.Sgemm(false, true, l.m, l.n, l.k, 1, x, l.k, l.weight, l.k, 0, y, l.n)
	}
	if l.bias != nil {
		for r := 0; r < l.m; r++ {
			row := y[r*l.n : (r+1)*l.n]
			for j, b := range l.bias {
				row[j] += b
			}
		}
	}
	return nil
}
