package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// batchNormLayer is Caffe's BatchNorm: y = (x - mean_c) / sqrt(var_c + eps)
// per channel (axis 1; a 1-axis blob is one channel), over N × spatial.
//
// With global stats, mean and var are the stored blobs divided by the stored
// scale factor blob2[0] (factor 0 when blob2[0] is 0, not 1/0). Without,
// they are the biased statistics of the batch. Caffe's forward then also
// folds the batch statistics into its stored moving averages; this runtime
// treats parameters as read-only and does not, so a second forward gives the
// same result where Caffe's blobs would have drifted (the output of each
// forward is unaffected either way).
type batchNormLayer struct {
	io       opIO
	global   bool
	eps      float32
	num      int
	channels int
	spatial  int
	// Global stats folded at creation: y = (x - mean[c]) * inv[c].
	mean, inv []float32
}

func newBatchNorm(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.BatchNorm](n)
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
	if len(s) < 1 {
		return nil, opErr(n, "bottom[0]", "needs at least 1 axis, got a scalar")
	}
	l := &batchNormLayer{io: newOpIO(n, in, out), global: op.UseGlobalStats, eps: op.Eps, num: s[0], channels: 1}
	if len(s) > 1 {
		l.channels = s[1]
	}
	if l.num*l.channels > 0 {
		l.spatial = s.Count() / (l.num * l.channels)
	}
	if !l.global {
		return l, nil
	}
	mean, err := opParam(n, 0, l.channels)
	if err != nil {
		return nil, err
	}
	variance, err := opParam(n, 1, l.channels)
	if err != nil {
		return nil, err
	}
	factor, err := opParam(n, 2, 1)
	if err != nil {
		return nil, err
	}
	sf := float32(0)
	if factor[0] != 0 {
		sf = 1 / factor[0]
	}
	l.mean = make([]float32, l.channels)
	l.inv = make([]float32, l.channels)
	for c := range l.mean {
		l.mean[c] = sf * mean[c]
		v := sf*variance[c] + l.eps
		l.inv[c] = float32(1 / math.Sqrt(float64(v)))
	}
	return l, nil
}

func (l *batchNormLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	mean, inv := l.mean, l.inv
	if !l.global {
		mean, inv = l.batchStats(src)
	}
	if l.spatial == 0 {
		return nil
	}
	// Stats are computed before any write, so src may alias dst.
	for off := 0; off < len(src); off += l.spatial {
		c := (off / l.spatial) % l.channels
		m, k := mean[c], inv[c]
		for i := off; i < off+l.spatial; i++ {
			dst[i] = (src[i] - m) * k
		}
	}
	return nil
}

// batchStats is the per-channel mean and 1/sqrt(biased variance + eps) of x.
func (l *batchNormLayer) batchStats(x []float32) (mean, inv []float32) {
	mean = make([]float32, l.channels)
	inv = make([]float32, l.channels)
	m := l.num * l.spatial
	if m == 0 {
		return mean, inv
	}
	for c := 0; c < l.channels; c++ {
		var sum float64
		for n := 0; n < l.num; n++ {
			off := (n*l.channels + c) * l.spatial
			for _, v := range x[off : off+l.spatial] {
				sum += float64(v)
			}
		}
		mu := sum / float64(m)
		var sq float64
		for n := 0; n < l.num; n++ {
			off := (n*l.channels + c) * l.spatial
			for _, v := range x[off : off+l.spatial] {
				d := float64(v) - mu
				sq += d * d
			}
		}
		mean[c] = float32(mu)
		inv[c] = float32(1 / math.Sqrt(sq/float64(m)+float64(l.eps)))
	}
	return mean, inv
}
