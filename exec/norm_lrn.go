package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// lrnLayer is local response normalization, y = x · scale^-β, on a 4-D blob.
//
// ACROSS_CHANNELS: scale = k + α/n · Σ x² over the n channels centred on c
// (Caffe pads (n-1)/2 zero channels before and after).
//
// WITHIN_CHANNEL: Caffe builds it from sublayers (lrn_layer.cpp): x² is
// AVE-pooled with an n×n kernel, stride 1, pad (n-1)/2, then
// scale = 1 + α·pool (k is not used). With stride 1 and that pad every window
// ends inside H+pad, so the AVE divisor is always n², padding included.
type lrnLayer struct {
	io                  opIO
	within              bool
	size, pre           int
	alpha, beta, k      float64
	num, channels, h, w int
}

func newLRN(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.LRN](n)
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
	if len(s) != 4 {
		return nil, opErr(n, "bottom[0]", "needs 4 axes (num, channels, height, width), got shape %v", s)
	}
	if op.LocalSize <= 0 || op.LocalSize%2 != 1 {
		return nil, opErr(n, "local_size", "must be a positive odd number, got %d", op.LocalSize)
	}
	if op.Region != graph.AcrossChannels && op.Region != graph.WithinChannel {
		return nil, opErr(n, "norm_region", "unknown region %d", op.Region)
	}
	return &lrnLayer{
		io: newOpIO(n, in, out), within: op.Region == graph.WithinChannel,
		size: op.LocalSize, pre: (op.LocalSize - 1) / 2,
		alpha: float64(op.Alpha), beta: float64(op.Beta), k: float64(op.K),
		num: s[0], channels: s[1], h: s[2], w: s[3],
	}, nil
}

func (l *lrnLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	// The whole scale is computed before any write, so src may alias dst.
	var scale []float64
	if l.within {
		scale = l.withinScale(src)
	} else {
		scale = l.acrossScale(src)
	}
	for i, x := range src {
		dst[i] = float32(float64(x) * math.Pow(scale[i], -l.beta))
	}
	return nil
}

func (l *lrnLayer) acrossScale(x []float32) []float64 {
	plane := l.h * l.w
	scale := make([]float64, len(x))
	coef := l.alpha / float64(l.size)
	for n := 0; n < l.num; n++ {
		base := n * l.channels * plane
		for c := 0; c < l.channels; c++ {
			lo, hi := max(c-l.pre, 0), min(c-l.pre+l.size, l.channels)
			out := scale[base+c*plane : base+(c+1)*plane]
			for j := lo; j < hi; j++ {
				for i, v := range x[base+j*plane : base+(j+1)*plane] {
					out[i] += float64(v) * float64(v)
				}
			}
			for i := range out {
				out[i] = l.k + coef*out[i]
			}
		}
	}
	return scale
}

func (l *lrnLayer) withinScale(x []float32) []float64 {
	plane := l.h * l.w
	scale := make([]float64, len(x))
	div := float64(l.size * l.size)
	for p := 0; p < l.num*l.channels; p++ {
		in := x[p*plane : (p+1)*plane]
		out := scale[p*plane : (p+1)*plane]
		for y := 0; y < l.h; y++ {
			y0, y1 := max(y-l.pre, 0), min(y-l.pre+l.size, l.h)
			for xx := 0; xx < l.w; xx++ {
				x0, x1 := max(xx-l.pre, 0), min(xx-l.pre+l.size, l.w)
				var sum float64
				for yy := y0; yy < y1; yy++ {
					for _, v := range in[yy*l.w+x0 : yy*l.w+x1] {
						sum += float64(v) * float64(v)
					}
				}
				out[y*l.w+xx] = 1 + l.alpha*(sum/div)
			}
		}
	}
	return scale
}
