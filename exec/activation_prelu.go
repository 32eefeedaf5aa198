package exec

import "github.com/caffetool/caffetool/graph"

// preluLayer is max(x,0) + a_c·min(x,0) with one slope per channel (axis 1)
// or one shared slope. Values are independent, so it runs in place.
type preluLayer struct {
	io       opIO
	slopes   []float32 // one per channel (the shared slope repeated)
	channels int
	inner    int // values per channel: count of axes 2..
}

func newPReLU(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.PReLU](n)
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
	if len(s) < 2 {
		return nil, opErr(n, "bottom[0]", "needs at least 2 axes, got shape %v", s)
	}
	channels := s[1]
	slopes, err := perChannelParam(n, 0, channels, op.ChannelShared)
	if err != nil {
		return nil, err
	}
	return &preluLayer{io: newOpIO(n, in, out), slopes: slopes, channels: channels, inner: s.CountRange(2, len(s))}, nil
}

func (l *preluLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	if l.inner == 0 {
		return nil
	}
	for off := 0; off < len(src); off += l.inner {
		a := l.slopes[(off/l.inner)%l.channels]
		row := src[off : off+l.inner]
		out := dst[off : off+l.inner]
		for i, x := range row {
			if x > 0 {
				out[i] = x
			} else {
				out[i] = a * x
			}
		}
	}
	return nil
}
