package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// softmaxLayer normalizes exp(x - max) along one axis.
type softmaxLayer struct {
	io                opIO
	outer, dim, inner int
	e                 []float64 // one column's exponentials, kept to avoid allocating per call
}

func newSoftmax(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Softmax](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 1, 1); err != nil {
		return nil, err
	}
	if err := sameCount(n, in, out); err != nil {
		return nil, err
	}
	s := in[0]
	axis, err := graph.CanonicalAxis(op.Axis, len(s))
	if err != nil {
		return nil, opErr(n, "axis", "%v", err)
	}
	return &softmaxLayer{io: newOpIO(n, in, out), outer: s.CountRange(0, axis), dim: s[axis], inner: s.CountRange(axis+1, len(s))}, nil
}

func (l *softmaxLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	if len(l.e) != l.dim {
		l.e = make([]float64, l.dim)
	}
	e := l.e
	for o := 0; o < l.outer; o++ {
		for i := 0; i < l.inner; i++ {
			base := o*l.dim*l.inner + i
			// Read the whole column before writing it (in place is fine).
			m := float32(math.Inf(-1))
			for j := 0; j < l.dim; j++ {
				m = max(m, src[base+j*l.inner])
			}
			var sum float64
			for j := range e {
				e[j] = math.Exp(float64(src[base+j*l.inner] - m))
				sum += e[j]
			}
			for j, v := range e {
				dst[base+j*l.inner] = float32(v / sum)
			}
		}
	}
	return nil
}
