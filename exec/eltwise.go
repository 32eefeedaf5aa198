package exec

import "github.com/caffetool/caffetool/graph"

// eltwiseLayer combines same-shaped bottoms value by value: PROD, SUM with
// per-bottom coefficients, or MAX. The MAX argmax mask Caffe keeps is
// internal (for backward) and never a top. Each output value is computed
// from the inputs at its own index only, so a top may alias any bottom.
type eltwiseLayer struct {
	io    opIO
	op    graph.EltwiseOp
	coeff []float32
	// Large blobs are split across goroutines (runtime-set); bottoms and
	// top are the current call, applyFn is apply bound once.
	par     *parallel
	bottoms []*graph.Tensor
	top     []float32
	applyFn func(lo, hi int)
}

func newEltwise(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Eltwise](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 2, -1, 1); err != nil {
		return nil, err
	}
	for i := 1; i < len(in); i++ {
		if !in[i].Equal(in[0]) {
			return nil, opErr(n, "bottom", "bottom[%d] shape %v differs from bottom[0] shape %v", i, in[i], in[0])
		}
	}
	if err := sameCount(n, in, out); err != nil {
		return nil, err
	}
	switch op.Operation {
	case graph.EltwiseProd, graph.EltwiseSum, graph.EltwiseMax:
	default:
		return nil, opErr(n, "operation", "unknown operation %d", op.Operation)
	}
	if len(op.Coeff) != 0 && len(op.Coeff) != len(in) {
		return nil, opErr(n, "coeff", "takes one coefficient per bottom: %d coefficients for %d bottoms", len(op.Coeff), len(in))
	}
	if len(op.Coeff) != 0 && op.Operation == graph.EltwiseProd {
		return nil, opErr(n, "coeff", "coefficients only apply to SUM")
	}
	l := &eltwiseLayer{io: newOpIO(n, in, out), op: op.Operation}
	l.applyFn = l.apply
	if op.Operation == graph.EltwiseSum {
		l.coeff = make([]float32, len(in))
		for i := range l.coeff {
			l.coeff[i] = 1
			if len(op.Coeff) != 0 {
				l.coeff[i] = op.Coeff[i]
			}
		}
	}
	return l, nil
}

func (l *eltwiseLayer) setParallel(p *parallel) { l.par = p }

func (l *eltwiseLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	// Large blobs are split across goroutines; each share sees the same
	// bottoms and top restricted to its index range.
	l.bottoms, l.top = bottoms, tops[0].Data
	l.par.For(len(l.top), elementGrain, l.applyFn)
	l.bottoms, l.top = nil, nil
	return nil
}

// apply computes values [lo, hi) of the current call.
func (l *eltwiseLayer) apply(lo, hi int) {
	bottoms, dst := l.bottoms, l.top
	switch l.op {
	case graph.EltwiseProd:
		for i := lo; i < hi; i++ {
			v := bottoms[0].Data[i] * bottoms[1].Data[i]
			for _, b := range bottoms[2:] {
				v *= b.Data[i]
			}
			dst[i] = v
		}
	case graph.EltwiseSum:
		if hasAVX2 {
			l.sumChunks(lo, hi)
			return
		}
		for i := lo; i < hi; i++ {
			var v float32
			for k, b := range bottoms {
				v += float32(l.coeff[k] * b.Data[i])
			}
			dst[i] = v
		}
	case graph.EltwiseMax:
		for i := lo; i < hi; i++ {
			v := bottoms[0].Data[i]
			for _, b := range bottoms[1:] {
				// Strict >, as Caffe: the first of equal values wins.
				if x := b.Data[i]; x > v {
					v = x
				}
			}
			dst[i] = v
		}
	}
}

// sumChunks is the SUM of apply eight lanes at a time, with the scalar
// loop's bits: per value, from +0, add coeff·bottom (each product rounded)
// bottom by bottom. A chunk is summed on the stack and stored after every
// bottom has been read, since the top may alias any bottom.
func (l *eltwiseLayer) sumChunks(lo, hi int) {
	var acc [512]float32
	for i0 := lo; i0 < hi; i0 += len(acc) {
		i1 := min(i0+len(acc), hi)
		a := acc[:i1-i0]
		clear(a)
		for k, b := range l.bottoms {
			eltAxpy(a, b.Data[i0:i1], l.coeff[k])
		}
		copy(l.top[i0:i1], a)
	}
}

// eltAxpy sets acc[i] += float32(c·x[i]) (no fused multiply-add).
func eltAxpy(acc, x []float32, c float32) {
	x = x[:len(acc)]
	i := eltAxpyVec(acc, x, c)
	for ; i < len(acc); i++ {
		acc[i] += float32(c * x[i])
	}
}
