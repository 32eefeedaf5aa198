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
	// The parallel path (lrnPlanes): the current call and the range
	// function bound once, so handing it to the workers allocates nothing.
	par        *parallel
	src, dst   []float32
	planeRange func(lo, hi int)
}

func (l *lrnLayer) setParallel(p *parallel) { l.par = p }

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
	l := &lrnLayer{
		io: newOpIO(n, in, out), within: op.Region == graph.WithinChannel,
		size: op.LocalSize, pre: (op.LocalSize - 1) / 2,
		alpha: float64(op.Alpha), beta: float64(op.Beta), k: float64(op.K),
		num: s[0], channels: s[1], h: s[2], w: s[3],
	}
	l.planeRange = l.lrnPlanes
	return l, nil
}

func (l *lrnLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	if !sameBuffer(src, dst) {
		// Each output plane depends on a few input planes only: compute
		// the planes independently, split across goroutines, with no
		// scale buffer.
		l.src, l.dst = src, dst
		l.par.For(l.num*l.channels, grain(l.h*l.w*l.size), l.planeRange)
		l.src, l.dst = nil, nil
		return nil
	}
	// In place: the whole scale is computed before any write.
	var scale []float64
	if l.within {
		scale = l.withinScale(src)
	} else {
		scale = l.acrossScale(src)
	}
	for i, x := range src {
		dst[i] = float32(float64(x) * l.pow(scale[i]))
	}
	return nil
}

// pow is scale^-β. β = 0.75 (AlexNet, GoogLeNet, CaffeNet) is
// 1/(√s·√√s), several times cheaper than math.Pow and as accurate for a
// float32 result.
func (l *lrnLayer) pow(s float64) float64 {
	if l.beta == 0.75 {
		r := math.Sqrt(s)
		return 1 / (r * math.Sqrt(r))
	}
	return math.Pow(s, -l.beta)
}

// lrnPlanes computes output planes [lo, hi) (index n·C + c) from l.src,
// which must not alias l.dst. The sums run in the same order as
// acrossScale and withinScale.
func (l *lrnLayer) lrnPlanes(lo, hi int) {
	plane := l.h * l.w
	const chunk = 256
	var sum [chunk]float64
	coef := l.alpha / float64(l.size)
	div := float64(l.size * l.size)
	for p := lo; p < hi; p++ {
		x := l.src[p*plane : (p+1)*plane]
		y := l.dst[p*plane : (p+1)*plane]
		if l.within {
			for yy := 0; yy < l.h; yy++ {
				y0, y1 := max(yy-l.pre, 0), min(yy-l.pre+l.size, l.h)
				for xx := 0; xx < l.w; xx++ {
					x0, x1 := max(xx-l.pre, 0), min(xx-l.pre+l.size, l.w)
					var s float64
					for r := y0; r < y1; r++ {
						for _, v := range x[r*l.w+x0 : r*l.w+x1] {
							s += float64(v) * float64(v)
						}
					}
					i := yy*l.w + xx
					y[i] = float32(float64(x[i]) * l.pow(1+l.alpha*(s/div)))
				}
			}
			continue
		}
		n, c := p/l.channels, p%l.channels
		base := n * l.channels * plane
		cLo, cHi := max(c-l.pre, 0), min(c-l.pre+l.size, l.channels)
		for i0 := 0; i0 < plane; i0 += chunk {
			i1 := min(i0+chunk, plane)
			acc := sum[:i1-i0]
			clear(acc)
			for j := cLo; j < cHi; j++ {
				for i, v := range l.src[base+j*plane+i0 : base+j*plane+i1] {
					acc[i] += float64(v) * float64(v)
				}
			}
			for i, s := range acc {
				y[i0+i] = float32(float64(x[i0+i]) * l.pow(l.k+coef*s))
			}
		}
	}
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
