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
	if sameBuffer(src, dst) {
		// In place: every output plane reads several input planes, so
		// read from a copy (a blob-sized allocation, as the scale buffer
		// Caffe keeps would be; nets rarely run LRN in place).
		src = append([]float32(nil), src...)
	}
	// Each output plane depends on a few input planes only: compute the
	// planes independently, split across goroutines, with no scale buffer.
	l.src, l.dst = src, dst
	l.par.For(l.num*l.channels, grain(l.h*l.w*l.size), l.planeRange)
	l.src, l.dst = nil, nil
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
// which must not alias l.dst.
func (l *lrnLayer) lrnPlanes(lo, hi int) {
	plane := l.h * l.w
	const chunk = 256
	var sum [chunk]float64
	var acc32 [chunk]float32
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
		if l.beta == 0.75 {
			l.across75(y, x, l.src[base+cLo*plane:base+cHi*plane], plane, acc32[:])
			continue
		}
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

// across75 is ACROSS_CHANNELS with β = 0.75 (AlexNet, GoogLeNet, CaffeNet)
// in float32, as Caffe computes it: y = x / (r·√r), r = √(k + α/n·Σ x²),
// the sum over the window's planes win (len(win)/plane of them, in
// channel order) chunk by chunk in acc. lrnSqAcc and lrnPow75 run 8 lanes
// at a time where the CPU allows and give the scalar loops' bits.
func (l *lrnLayer) across75(y, x, win []float32, plane int, acc []float32) {
	k, coef := float32(l.k), float32(l.alpha/float64(l.size))
	for i0 := 0; i0 < plane; i0 += len(acc) {
		i1 := min(i0+len(acc), plane)
		a := acc[:i1-i0]
		clear(a)
		for j := 0; j < len(win); j += plane {
			lrnSqAcc(a, win[j+i0:j+i1])
		}
		lrnPow75(y[i0:i1], x[i0:i1], a, k, coef)
	}
}

// lrnSqAcc sets acc[i] += x[i]·x[i] (two roundings, no fused multiply-add).
func lrnSqAcc(acc, x []float32) {
	x = x[:len(acc)]
	i := lrnSqAccVec(acc, x)
	for ; i < len(acc); i++ {
		acc[i] += float32(x[i] * x[i])
	}
}

// lrnPow75 sets y[i] = x[i] / (r·√r) with r = √(k + coef·s[i]), every
// operation rounded to float32 once.
func lrnPow75(y, x, s []float32, k, coef float32) {
	x, s = x[:len(y)], s[:len(y)]
	i := lrnPow75Vec(y, x, s, k, coef)
	for ; i < len(y); i++ {
		r := sqrt32(k + float32(coef*s[i]))
		y[i] = x[i] / float32(r*sqrt32(r))
	}
}

// sqrt32 is the correctly rounded float32 square root (the float64 root
// of a float32 rounds to the same float32).
func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }
