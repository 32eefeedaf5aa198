package exec

import "github.com/caffetool/caffetool/graph"

// broadcast is how a Scale/Bias operand of shape bottom[axis:axis+k] lines
// up with bottom 0: value d of the operand applies to x[o, d, i].
type broadcast struct {
	outer, dim, inner int
}

// operandFromParam resolves the shape Caffe gives a learned Scale/Bias blob:
// bottom axes [axis, axis+numAxes), or [axis, end) when numAxes is -1.
func operandFromParam(n *graph.Node, s graph.Shape, axis, numAxes int) (broadcast, error) {
	a, err := graph.CanonicalAxis(axis, len(s))
	if err != nil {
		return broadcast{}, opErr(n, "axis", "%v", err)
	}
	end := len(s)
	switch {
	case numAxes < -1:
		return broadcast{}, opErr(n, "num_axes", "must be -1 or more, got %d", numAxes)
	case numAxes >= 0:
		if a+numAxes > len(s) {
			return broadcast{}, opErr(n, "num_axes", "axis %d + num_axes %d exceeds the %d axes of bottom shape %v", a, numAxes, len(s), s)
		}
		end = a + numAxes
	}
	if end == a {
		return broadcast{outer: 1, dim: 1, inner: s.Count()}, nil
	}
	return broadcast{outer: s.CountRange(0, a), dim: s.CountRange(a, end), inner: s.CountRange(end, len(s))}, nil
}

// operandFromBottom lines up a second bottom of shape t with bottom shape s
// starting at axis (any axis for a scalar t), as Scale/Bias Reshape do.
func operandFromBottom(n *graph.Node, s, t graph.Shape, axis int) (broadcast, error) {
	if len(t) == 0 {
		return broadcast{outer: 1, dim: 1, inner: s.Count()}, nil
	}
	a, err := graph.CanonicalAxis(axis, len(s))
	if err != nil {
		return broadcast{}, opErr(n, "axis", "%v", err)
	}
	if a+len(t) > len(s) {
		return broadcast{}, opErr(n, "bottom[1]", "shape %v does not fit bottom[0] shape %v from axis %d", t, s, a)
	}
	for i, d := range t {
		if s[a+i] != d {
			return broadcast{}, opErr(n, "bottom[1]", "shape %v does not match bottom[0] shape %v from axis %d", t, s, a)
		}
	}
	return broadcast{outer: s.CountRange(0, a), dim: t.Count(), inner: s.CountRange(a+len(t), len(s))}, nil
}

// scaleBiasLayer computes y = x·s (+ b) or y = x + b with s and b broadcast
// along bottom 0. Each value depends only on the value at the same index, so
// it runs in place.
type scaleBiasLayer struct {
	io opIO
	bc broadcast
	// Learned operands; nil when absent or when taken from bottom 1.
	scale, bias []float32
	// scaleIn/biasIn: the operand is bottom 1.
	scaleIn, biasIn bool
}

func newScale(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Scale](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 2, 1); err != nil {
		return nil, err
	}
	if err := sameCount(n, in, out); err != nil {
		return nil, err
	}
	l := &scaleBiasLayer{io: newOpIO(n, in, out)}
	biasIdx := 0
	if len(in) == 2 {
		l.scaleIn = true
		if l.bc, err = operandFromBottom(n, in[0], in[1], op.Axis); err != nil {
			return nil, err
		}
	} else {
		if l.bc, err = operandFromParam(n, in[0], op.Axis, op.NumAxes); err != nil {
			return nil, err
		}
		if l.scale, err = opParam(n, 0, l.bc.dim); err != nil {
			return nil, err
		}
		biasIdx = 1
	}
	// The bias of a Scale layer has the scale's shape; with two bottoms it
	// is the only parameter blob.
	if op.BiasTerm {
		if l.bias, err = opParam(n, biasIdx, l.bc.dim); err != nil {
			return nil, err
		}
	}
	if len(n.Params) > biasIdx+btoi(op.BiasTerm) {
		return nil, opErr(n, "blobs", "has %d parameter blobs, want %d", len(n.Params), biasIdx+btoi(op.BiasTerm))
	}
	return l, nil
}

func newBias(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Bias](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 2, 1); err != nil {
		return nil, err
	}
	if err := sameCount(n, in, out); err != nil {
		return nil, err
	}
	l := &scaleBiasLayer{io: newOpIO(n, in, out)}
	if len(in) == 2 {
		l.biasIn = true
		if l.bc, err = operandFromBottom(n, in[0], in[1], op.Axis); err != nil {
			return nil, err
		}
		if len(n.Params) > 0 {
			return nil, opErr(n, "blobs", "has %d parameter blobs, want none with two bottoms", len(n.Params))
		}
		return l, nil
	}
	if l.bc, err = operandFromParam(n, in[0], op.Axis, op.NumAxes); err != nil {
		return nil, err
	}
	if l.bias, err = opParam(n, 0, l.bc.dim); err != nil {
		return nil, err
	}
	if len(n.Params) > 1 {
		return nil, opErr(n, "blobs", "has %d parameter blobs, want 1", len(n.Params))
	}
	return l, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (l *scaleBiasLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	// io.check has matched bottom 1 to the operand size.
	scale, bias := l.scale, l.bias
	if l.scaleIn {
		scale = bottoms[1].Data
	}
	if l.biasIn {
		bias = bottoms[1].Data
	}
	src, dst := bottoms[0].Data, tops[0].Data
	inner := l.bc.inner
	off := 0
	for o := 0; o < l.bc.outer; o++ {
		for d := 0; d < l.bc.dim; d++ {
			x, y := src[off:off+inner], dst[off:off+inner]
			switch {
			case scale != nil && bias != nil:
				s, b := scale[d], bias[d]
				for i, v := range x {
					y[i] = float32(v*s) + b
				}
			case scale != nil:
				s := scale[d]
				for i, v := range x {
					y[i] = v * s
				}
			default:
				b := bias[d]
				for i, v := range x {
					y[i] = v + b
				}
			}
			off += inner
		}
	}
	return nil
}
