package exec

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/caffetool/caffetool/graph"
)

// Fill initialises t with filler f the way Caffe's filler.hpp (BVLC
// 9b891540) does, drawing random numbers from rng. The distributions,
// fan computations and checks are Caffe's; the random stream is not
// (Caffe uses boost's mt19937), so only the statistics match.
//
// Fan-in and fan-out come from the blob shape alone: fan_in =
// count/shape[0], fan_out = count/shape[1] (count for a 1-axis blob).
// Caffe has no special case for Deconvolution, whose weight blob is
// [C_in, C_out/group, k...]: its "fan_in" is therefore C_out/group·k·k,
// the deconvolution's real fan-out. deconv is accepted so callers can say
// what the blob is, and deliberately changes nothing, so that
// `caffetool init` produces the scale Caffe would.
//
// Every check Caffe makes with CHECK (which aborts) is an error here:
// empty blobs, min > max, std <= 0, sparse on a filler other than
// gaussian, sparse/num_outputs outside [0, 1], bilinear on a blob that is
// not 4-D with square kernels.
func Fill(t *graph.Tensor, f graph.Filler, rng *rand.Rand, deconv bool) error {
	_ = deconv // see the doc comment: Caffe makes no distinction
	if t == nil {
		return errors.New("filler: nil tensor")
	}
	count, ok := t.Shape.Count64()
	if !ok || int64(len(t.Data)) != count {
		return fmt.Errorf("filler %s: tensor shape %v does not match its %d values", f.Type, t.Shape, len(t.Data))
	}
	if f.Type != "gaussian" && f.Sparse != -1 {
		return fmt.Errorf("filler %s: sparse %d: sparsity is only supported by the gaussian filler", f.Type, f.Sparse)
	}
	if count == 0 && f.Type != "bilinear" {
		return fmt.Errorf("filler %s: blob %v is empty", f.Type, t.Shape)
	}
	d := t.Data
	switch f.Type {
	case "constant":
		for i := range d {
			d[i] = f.Value
		}
	case "uniform":
		if !(f.Min <= f.Max) {
			return fmt.Errorf("filler uniform: min %g must not exceed max %g", f.Min, f.Max)
		}
		fillUniform(d, f.Min, f.Max, rng)
	case "gaussian":
		return fillGaussian(t, f, rng)
	case "positive_unitball":
		if len(t.Shape) < 1 || t.Shape[0] == 0 {
			return fmt.Errorf("filler positive_unitball: blob %v needs a first axis", t.Shape)
		}
		fillUniform(d, 0, 1, rng)
		// Each of the shape[0] rows is normalised to sum 1, summing in
		// float32 as Caffe's Dtype accumulator does.
		dim := len(d) / t.Shape[0]
		for r := 0; r < t.Shape[0]; r++ {
			row := d[r*dim : (r+1)*dim]
			var sum float32
			for _, v := range row {
				sum += v
			}
			for j := range row {
				row[j] /= sum
			}
		}
	case "xavier", "msra":
		n, err := fanNorm(t.Shape, f.VarianceNorm)
		if err != nil {
			return fmt.Errorf("filler %s: %w", f.Type, err)
		}
		if f.Type == "xavier" {
			scale := float32(math.Sqrt(float64(3 / n)))
			fillUniform(d, -scale, scale, rng)
		} else {
			std := float32(math.Sqrt(float64(2 / n)))
			fillNormal(d, 0, std, rng)
		}
	case "bilinear":
		return fillBilinear(t)
	default:
		return fmt.Errorf("unknown filler type %q (Caffe knows constant, uniform, gaussian, positive_unitball, xavier, msra, bilinear)", f.Type)
	}
	return nil
}

// fanNorm is the n of xavier/msra: fan_in, fan_out or their average.
func fanNorm(s graph.Shape, norm graph.VarianceNorm) (float32, error) {
	if len(s) < 1 {
		return 0, fmt.Errorf("blob %v needs at least one axis", s)
	}
	count := s.Count()
	fanIn := count / s[0]
	fanOut := count
	if len(s) > 1 {
		fanOut = count / s[1]
	}
	n := float32(fanIn)
	switch norm {
	case graph.FanOut:
		n = float32(fanOut)
	case graph.Average:
		n = float32(fanIn+fanOut) / 2
	}
	return n, nil
}

// fillUniform draws from [lo, hi] (Caffe: boost uniform_real on
// [lo, nextafter(hi))).
func fillUniform(d []float32, lo, hi float32, rng *rand.Rand) {
	a, w := float64(lo), float64(hi)-float64(lo)
	for i := range d {
		d[i] = float32(a + w*rng.Float64())
	}
}

func fillNormal(d []float32, mean, std float32, rng *rand.Rand) {
	for i := range d {
		d[i] = float32(float64(mean) + float64(std)*rng.NormFloat64())
	}
}

// fillGaussian is N(mean, std²), then with sparse >= 0 each value is kept
// with probability sparse/shape[0] (Caffe's bernoulli mask) and zeroed
// otherwise.
func fillGaussian(t *graph.Tensor, f graph.Filler, rng *rand.Rand) error {
	// caffe_rng_gaussian CHECKs sigma > 0 (NaN fails too).
	if !(f.Std > 0) {
		return fmt.Errorf("filler gaussian: std %g must be positive", f.Std)
	}
	if f.Sparse < -1 {
		return fmt.Errorf("filler gaussian: sparse %d must be >= -1", f.Sparse)
	}
	var p float32
	if f.Sparse >= 0 {
		if len(t.Shape) < 1 {
			return fmt.Errorf("filler gaussian: sparse needs a blob with at least one axis, got %v", t.Shape)
		}
		p = float32(f.Sparse) / float32(t.Shape[0])
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("filler gaussian: sparse %d over %d outputs gives keep probability %g outside [0, 1]", f.Sparse, t.Shape[0], p)
		}
	}
	fillNormal(t.Data, f.Mean, f.Std, rng)
	if f.Sparse >= 0 {
		for i := range t.Data {
			if !(rng.Float64() < float64(p)) {
				t.Data[i] = 0
			}
		}
	}
	return nil
}

// fillBilinear writes the upsampling kernel of Caffe's BilinearFiller into
// every K×K plane: with f = ceil(K/2) and c = (K-1)/(2f) (the formula after
// BVLC PR #5713, which fixed odd K), w(x, y) = (1-|x/f-c|)(1-|y/f-c|),
// computed in float32 like Caffe.
func fillBilinear(t *graph.Tensor) error {
	s := t.Shape
	if len(s) != 4 {
		return fmt.Errorf("filler bilinear: blob must be 4-D, got %v", s)
	}
	if s[2] != s[3] {
		return fmt.Errorf("filler bilinear: kernel must be square, got %dx%d", s[2], s[3])
	}
	k := s[3]
	if k == 0 {
		return nil
	}
	f := (k + 1) / 2 // ceil(k/2)
	c := float32(float64(k-1) / (2 * float64(f)))
	ff := float32(f)
	for i := range t.Data {
		x := float32(i % k)
		y := float32((i / k) % k)
		t.Data[i] = (1 - abs32(x/ff-c)) * (1 - abs32(y/ff-c))
	}
	return nil
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }
