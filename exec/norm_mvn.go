package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// mvnLayer is mean-variance normalization over each (n, c) slice, or each
// n when across_channels. As in mvn_layer.cpp, eps is added to the standard
// deviation, not the variance: y = (x - mean) / (sqrt(E[(x-mean)²]) + eps).
type mvnLayer struct {
	io        opIO
	variance  bool
	eps       float64
	slices    int
	sliceSize int
}

func newMVN(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.MVN](n)
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
	// Caffe reads num() and channels(), which accept at most 4 axes.
	if len(s) < 1 || len(s) > 4 {
		return nil, opErr(n, "bottom[0]", "needs 1 to 4 axes, got shape %v", s)
	}
	slices := s[0]
	if !op.AcrossChannels && len(s) > 1 {
		slices *= s[1]
	}
	l := &mvnLayer{io: newOpIO(n, in, out), variance: op.NormalizeVariance, eps: float64(op.Eps), slices: slices}
	if slices > 0 {
		l.sliceSize = s.Count() / slices
	}
	return l, nil
}

func (l *mvnLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	if l.sliceSize == 0 {
		return nil
	}
	// Each slice's statistics are taken before the slice is written, so
	// src may alias dst.
	for off := 0; off < len(src); off += l.sliceSize {
		x := src[off : off+l.sliceSize]
		var sum float64
		for _, v := range x {
			sum += float64(v)
		}
		mean := sum / float64(len(x))
		div := 1.0
		if l.variance {
			var sq float64
			for _, v := range x {
				d := float64(v) - mean
				sq += d * d
			}
			div = math.Sqrt(sq/float64(len(x))) + l.eps
		}
		y := dst[off : off+l.sliceSize]
		for i, v := range x {
			y[i] = float32((float64(v) - mean) / div)
		}
	}
	return nil
}
