package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// unaryLayer applies f to every value. Each top value depends only on the
// bottom value at the same index, so it runs in place unchanged.
type unaryLayer struct {
	io opIO
	f  func(float32) float32
	// Large blobs are split across goroutines (runtime-set); src and dst
	// are the current call, applyFn is apply bound once.
	par      *parallel
	src, dst []float32
	applyFn  func(lo, hi int)
}

func (l *unaryLayer) setParallel(p *parallel) { l.par = p }

func (l *unaryLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	l.src, l.dst = bottoms[0].Data, tops[0].Data
	l.par.For(len(l.dst), elementGrain, l.applyFn)
	l.src, l.dst = nil, nil
	return nil
}

// apply computes values [lo, hi) of the current call.
func (l *unaryLayer) apply(lo, hi int) {
	dst := l.dst[lo:hi]
	for i, x := range l.src[lo:hi] {
		dst[i] = l.f(x)
	}
}

// elementGrain is the smallest share of an element-wise layer worth a
// goroutine hand-off.
const elementGrain = 32 << 10

// newUnary checks the one-bottom, one-top, same-size contract and wraps f.
func newUnary(n *graph.Node, in, out []graph.Shape, f func(float32) float32) (Layer, error) {
	if err := opArity(n, in, out, 1, 1, 1); err != nil {
		return nil, err
	}
	if err := sameCount(n, in, out); err != nil {
		return nil, err
	}
	l := &unaryLayer{io: newOpIO(n, in, out), f: f}
	l.applyFn = l.apply
	return l, nil
}

// sigmoid is Caffe's form 0.5·tanh(0.5·x) + 0.5 (sigmoid_layer.cpp), which
// does not overflow for large |x|.
func sigmoid(x float64) float64 { return 0.5*math.Tanh(0.5*x) + 0.5 }

func newReLU(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.ReLU](n)
	if err != nil {
		return nil, err
	}
	slope := op.NegativeSlope
	if slope == 0 {
		return newUnary(n, in, out, func(x float32) float32 {
			if x > 0 || x != x { // NaN passes through, as with std::max
				return x
			}
			return 0
		})
	}
	// Caffe: max(x, 0) + slope·min(x, 0).
	return newUnary(n, in, out, func(x float32) float32 {
		if x > 0 {
			return x
		}
		return float32(slope * x)
	})
}

func newReLU6(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if _, err := opAs[graph.ReLU6](n); err != nil {
		return nil, err
	}
	return newUnary(n, in, out, func(x float32) float32 {
		return min(max(x, 0), 6)
	})
}

func newELU(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.ELU](n)
	if err != nil {
		return nil, err
	}
	alpha := float64(op.Alpha)
	return newUnary(n, in, out, func(x float32) float32 {
		if x > 0 {
			return x
		}
		return float32(alpha * math.Expm1(float64(x)))
	})
}

func newSigmoid(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if _, err := opAs[graph.Sigmoid](n); err != nil {
		return nil, err
	}
	return newUnary(n, in, out, func(x float32) float32 { return float32(sigmoid(float64(x))) })
}

func newTanH(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if _, err := opAs[graph.TanH](n); err != nil {
		return nil, err
	}
	return newUnary(n, in, out, func(x float32) float32 { return float32(math.Tanh(float64(x))) })
}

func newAbsVal(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if _, err := opAs[graph.AbsVal](n); err != nil {
		return nil, err
	}
	return newUnary(n, in, out, func(x float32) float32 { return float32(math.Abs(float64(x))) })
}

// newBNLL is log(1 + e^x) in Caffe's overflow-free split at 0.
func newBNLL(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if _, err := opAs[graph.BNLL](n); err != nil {
		return nil, err
	}
	return newUnary(n, in, out, func(x float32) float32 {
		v := float64(x)
		if v > 0 {
			return float32(v + math.Log(1+math.Exp(-v)))
		}
		return float32(math.Log(1 + math.Exp(v)))
	})
}

// newPower is (shift + scale·x)^power. As in power_layer.cpp, a zero
// power·scale makes the output the constant 1 (power 0) or shift^power.
func newPower(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Power](n)
	if err != nil {
		return nil, err
	}
	power, scale, shift := op.Power, op.Scale, op.Shift
	if power*scale == 0 {
		c := float32(1)
		if power != 0 {
			c = float32(math.Pow(float64(shift), float64(power)))
		}
		return newUnary(n, in, out, func(float32) float32 { return c })
	}
	return newUnary(n, in, out, func(x float32) float32 {
		v := float32(scale*x) + shift
		switch power {
		case 1:
			return v
		case 2:
			return v * v
		}
		return float32(math.Pow(float64(v), float64(power)))
	})
}

// checkBase accepts Caffe's Exp/Log base: positive, or -1 for e.
func checkBase(n *graph.Node, base float32) error {
	if base != -1 && !(base > 0) {
		return opErr(n, "base", "must be positive or -1 (for e), got %v", base)
	}
	return nil
}

// newExp is base^(shift + scale·x), computed as exp_layer.cpp does:
// outer · exp(inner·x) with inner = ln(base)·scale, outer = base^shift.
func newExp(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Exp](n)
	if err != nil {
		return nil, err
	}
	if err := checkBase(n, op.Base); err != nil {
		return nil, err
	}
	logBase := 1.0
	if op.Base != -1 {
		logBase = math.Log(float64(op.Base))
	}
	inner := float32(logBase) * op.Scale
	outer := float32(1)
	if op.Shift != 0 {
		if op.Base == -1 {
			outer = float32(math.Exp(float64(op.Shift)))
		} else {
			outer = float32(math.Pow(float64(op.Base), float64(op.Shift)))
		}
	}
	return newUnary(n, in, out, func(x float32) float32 {
		return outer * float32(math.Exp(float64(inner*x)))
	})
}

// newLog is log_base(shift + scale·x) (log_layer.cpp: ln, then ·1/ln(base)).
func newLog(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Log](n)
	if err != nil {
		return nil, err
	}
	if err := checkBase(n, op.Base); err != nil {
		return nil, err
	}
	baseScale := float32(1)
	if op.Base != -1 {
		baseScale = float32(1 / math.Log(float64(op.Base)))
	}
	scale, shift := op.Scale, op.Shift
	return newUnary(n, in, out, func(x float32) float32 {
		v := float32(scale*x) + shift
		return float32(math.Log(float64(v))) * baseScale
	})
}

func newThreshold(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Threshold](n)
	if err != nil {
		return nil, err
	}
	t := op.Threshold
	return newUnary(n, in, out, func(x float32) float32 {
		if x > t {
			return 1
		}
		return 0
	})
}

// newSwish is x·sigmoid(β·x) with Caffe's tanh form of the sigmoid.
func newSwish(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Swish](n)
	if err != nil {
		return nil, err
	}
	beta := op.Beta
	return newUnary(n, in, out, func(x float32) float32 {
		s := float32(sigmoid(float64(beta * x)))
		return x * s
	})
}

func newClip(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Clip](n)
	if err != nil {
		return nil, err
	}
	lo, hi := op.Min, op.Max
	// std::max(lo, std::min(x, hi)) as clip_layer.cpp, which checks nothing
	// about lo and hi and maps NaN to lo.
	return newUnary(n, in, out, func(x float32) float32 {
		v := x
		if hi < v {
			v = hi
		}
		if lo < v {
			return v
		}
		return lo
	})
}
