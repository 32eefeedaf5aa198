package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// normalizeLayer is SSD's Normalize (weiliu89 normalize_layer.cpp): x is
// divided by its L2 norm, taken over the channels at each spatial position,
// or over all C·H·W values of a sample when across_spatial, then multiplied
// by a learned scale (one shared value, or one per channel). eps goes inside
// the square root: norm = sqrt(Σx² + eps).
type normalizeLayer struct {
	io            opIO
	acrossSpatial bool
	eps           float64
	scale         []float32 // per channel (the shared value repeated)
	num, channels int
	spatial       int
}

func newNormalize(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Normalize](n)
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
	// The layer reads num/channels/height/width: 2 to 4 axes.
	if len(s) < 2 || len(s) > 4 {
		return nil, opErr(n, "bottom[0]", "needs 2 to 4 axes, got shape %v", s)
	}
	channels := s[1]
	scale, err := perChannelParam(n, 0, channels, op.ChannelShared)
	if err != nil {
		return nil, err
	}
	return &normalizeLayer{
		io: newOpIO(n, in, out), acrossSpatial: op.AcrossSpatial, eps: float64(op.Eps), scale: scale,
		num: s[0], channels: channels, spatial: s.CountRange(2, len(s)),
	}, nil
}

func (l *normalizeLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	dim := l.channels * l.spatial
	if dim == 0 {
		return nil
	}
	norm := make([]float64, l.spatial)
	for n := 0; n < l.num; n++ {
		x := src[n*dim : (n+1)*dim]
		y := dst[n*dim : (n+1)*dim]
		// Norms are complete before this sample is written (in place is fine).
		if l.acrossSpatial {
			var sum float64
			for _, v := range x {
				sum += float64(v) * float64(v)
			}
			r := math.Sqrt(sum + l.eps)
			for i := range norm {
				norm[i] = r
			}
		} else {
			for i := range norm {
				norm[i] = 0
			}
			for c := 0; c < l.channels; c++ {
				for i, v := range x[c*l.spatial : (c+1)*l.spatial] {
					norm[i] += float64(v) * float64(v)
				}
			}
			for i := range norm {
				norm[i] = math.Sqrt(norm[i] + l.eps)
			}
		}
		for c := 0; c < l.channels; c++ {
			a := float64(l.scale[c])
			for i := 0; i < l.spatial; i++ {
				j := c*l.spatial + i
				y[j] = float32(float64(x[j]) / norm[i] * a)
			}
		}
	}
	return nil
}
