package fuzzgen

import (
	"fmt"

	"github.com/caffetool/caffetool/graph"
)

// Reader hands out the fuzzer's bytes as small numbers; once the bytes run
// out every draw is 0, so any input yields a complete net. Rare choices are
// therefore tied to the largest draw, not to 0.
type Reader struct {
	b []byte
	i int
}

// NewReader reads from b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Byte returns the next byte, or 0 when none are left.
func (r *Reader) Byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

// Left reports how many bytes are unread.
func (r *Reader) Left() int { return len(r.b) - r.i }

// Intn returns a number in [0, n) (0 when n <= 0).
func (r *Reader) Intn(n int) int {
	if n <= 1 {
		return 0
	}
	v := int(r.Byte())
	if n > 256 {
		v = v<<8 | int(r.Byte())
	}
	return v % n
}

// Range returns a number in [lo, hi].
func (r *Reader) Range(lo, hi int) int { return lo + r.Intn(hi-lo+1) }

// Bool returns the low bit of the next byte.
func (r *Reader) Bool() bool { return r.Byte()&1 == 1 }

// Float returns one of 256 evenly spaced values in [lo, hi].
func (r *Reader) Float(lo, hi float32) float32 {
	return lo + (hi-lo)*float32(r.Byte())/255
}

// Limits bounds what a generated net may contain.
type Limits struct {
	// MaxDim is the largest input dimension drawn in the normal case.
	MaxDim int
	// MaxLayers caps the number of layers after the inputs.
	MaxLayers int
	// Wild adds edge values to dimensions and parameters: 0, negative
	// numbers, and numbers large enough to overflow element counts.
	Wild bool
}

// wildInts are the edge values tried when Limits.Wild is set.
var wildInts = []int{0, -1, -2, 1 << 16, 1 << 20, 1<<31 - 1, 1 << 31, 1<<62 + 1}

// dim draws a dimension: usually 1..max, sometimes an edge value.
func (r *Reader) dim(lim Limits) int {
	c := r.Byte()
	if lim.Wild && c >= 240 {
		return wildInts[int(c-240)%len(wildInts)]
	}
	if c >= 250 {
		return 0
	}
	return 1 + int(c)%max(lim.MaxDim, 1)
}

// small draws a parameter value in [lo, hi], or an edge value in wild mode.
func (r *Reader) small(lim Limits, lo, hi int) int {
	c := r.Byte()
	if lim.Wild && c >= 248 {
		return wildInts[int(c-248)%len(wildInts)]
	}
	return lo + int(c)%(hi-lo+1)
}

func (r *Reader) ints(lim Limits, maxLen, lo, hi int) []int {
	n := r.Intn(maxLen + 1)
	if r.Bool() {
		n = min(1, maxLen) // one value for all axes, the common case
	}
	out := make([]int, n)
	for i := range out {
		out[i] = r.small(lim, lo, hi)
	}
	return out
}

func (r *Reader) floats(maxLen int, lo, hi float32) []float32 {
	n := r.Intn(maxLen + 1)
	out := make([]float32, n)
	for i := range out {
		out[i] = r.Float(lo, hi)
	}
	return out
}

// Shape draws a blob shape of rank 0..5 (mostly 4).
func (r *Reader) Shape(lim Limits) graph.Shape {
	rank := []int{4, 4, 4, 4, 4, 2, 3, 1, 5, 0}[r.Intn(10)]
	s := make(graph.Shape, rank)
	for i := range s {
		s[i] = r.dim(lim)
	}
	return s
}

// Filler draws a filler; mostly valid, sometimes not (exec.Fill must
// reject those with an error).
func (r *Reader) Filler() graph.Filler {
	f := graph.DefaultFiller()
	f.Type = []string{"constant", "uniform", "gaussian", "xavier", "msra", "positive_unitball", "bilinear", "bogus"}[r.Intn(8)]
	f.Value = r.Float(-2, 2)
	f.Min, f.Max = r.Float(-1, 0.5), r.Float(-0.5, 1)
	f.Mean, f.Std = r.Float(-1, 1), r.Float(-0.1, 1)
	if r.Intn(8) == 7 {
		f.Sparse = r.Range(-1, 4)
	}
	f.VarianceNorm = graph.VarianceNorm(r.Intn(3))
	return f
}

func (r *Reader) conv(lim Limits) graph.Conv {
	return graph.Conv{
		NumOutput: r.small(lim, 0, 8),
		BiasTerm:  r.Bool(),
		Kernel:    r.ints(lim, 3, 0, 5),
		Stride:    r.ints(lim, 3, 0, 3),
		Pad:       r.ints(lim, 3, 0, 3),
		Dilation:  r.ints(lim, 3, 0, 3),
		Group:     r.small(lim, 0, 4),
		Axis:      r.Range(-2, 2),
		ForceND:   r.Intn(4) == 3,
		// Constant fillers mostly, so the output is not all zeros but
		// the generator does not spend bytes on every filler's fields.
		WeightFiller: r.Filler(),
		BiasFiller:   r.Filler(),
	}
}

// Op draws a layer type and its parameters. The type string is the one a
// prototxt would use (what exec looks layers up by).
func (r *Reader) Op(lim Limits) (string, graph.Op) {
	switch r.Intn(52) {
	case 0, 1, 2:
		c := r.conv(lim)
		return "Convolution", &c
	case 3:
		c := r.conv(lim)
		c.Deconv = true
		return "Deconvolution", &c
	case 4:
		c := r.conv(lim)
		c.Depthwise = true
		return "ConvolutionDepthwise", &c
	case 5, 6:
		p := &graph.Pool{
			Method:  graph.PoolMethod(r.Intn(3)),
			KernelH: r.small(lim, 1, 4), KernelW: r.small(lim, 1, 4),
			StrideH: r.small(lim, 0, 3), StrideW: r.small(lim, 0, 3),
			PadH: r.small(lim, 0, 2), PadW: r.small(lim, 0, 2),
			Global: r.Intn(4) == 3, CeilMode: r.Bool(),
		}
		return "Pooling", p
	case 7:
		return "SPP", &graph.SPP{PyramidHeight: r.small(lim, 0, 4), Method: graph.PoolMethod(r.Intn(3))}
	case 8, 9:
		return "InnerProduct", &graph.InnerProduct{NumOutput: r.small(lim, 0, 10), BiasTerm: r.Bool(),
			Axis: r.Range(-2, 3), Transpose: r.Bool(), WeightFiller: r.Filler(), BiasFiller: r.Filler()}
	case 10:
		return "Embed", &graph.Embed{NumOutput: r.small(lim, 0, 6), InputDim: r.small(lim, 0, 10), BiasTerm: r.Bool(),
			WeightFiller: r.Filler(), BiasFiller: r.Filler()}
	case 11:
		return "LRN", &graph.LRN{LocalSize: r.small(lim, 0, 3)*2 + 1 - r.Intn(8)/7, Alpha: r.Float(0, 1), Beta: r.Float(0, 1),
			K: r.Float(0, 2), Region: graph.LRNRegion(r.Intn(2))}
	case 12:
		return "MVN", &graph.MVN{NormalizeVariance: r.Bool(), AcrossChannels: r.Bool(), Eps: r.Float(0, 0.01)}
	case 13:
		return "BatchNorm", &graph.BatchNorm{UseGlobalStats: r.Bool(), MovingAverageFraction: r.Float(0, 1), Eps: r.Float(0, 0.01)}
	case 14:
		return "Scale", &graph.Scale{Axis: r.Range(-2, 3), NumAxes: r.Range(-2, 3), Filler: r.Filler(), BiasTerm: r.Bool(), BiasFiller: r.Filler()}
	case 15:
		return "Bias", &graph.Bias{Axis: r.Range(-2, 3), NumAxes: r.Range(-2, 3), Filler: r.Filler()}
	case 16:
		return "ReLU", &graph.ReLU{NegativeSlope: r.Float(-1, 1)}
	case 17:
		return "PReLU", &graph.PReLU{ChannelShared: r.Bool(), Filler: r.Filler()}
	case 18:
		return "ELU", &graph.ELU{Alpha: r.Float(0, 2)}
	case 19:
		return "Sigmoid", &graph.Sigmoid{}
	case 20:
		return "TanH", &graph.TanH{}
	case 21:
		return "AbsVal", &graph.AbsVal{}
	case 22:
		return "BNLL", &graph.BNLL{}
	case 23:
		return "Power", &graph.Power{Power: r.Float(-2, 3), Scale: r.Float(-2, 2), Shift: r.Float(-1, 1)}
	case 24:
		return "Exp", &graph.Exp{Base: []float32{-1, 2, 0.5, 0, -3}[r.Intn(5)], Scale: r.Float(-1, 1), Shift: r.Float(-1, 1)}
	case 25:
		return "Log", &graph.Log{Base: []float32{-1, 2, 0.5, 0, 1}[r.Intn(5)], Scale: r.Float(-1, 1), Shift: r.Float(-1, 1)}
	case 26:
		return "Threshold", &graph.Threshold{Threshold: r.Float(-1, 1)}
	case 27:
		return "Swish", &graph.Swish{Beta: r.Float(-1, 2)}
	case 28:
		return "Clip", &graph.Clip{Min: r.Float(-1, 1), Max: r.Float(-1, 1)}
	case 29:
		return "Dropout", &graph.Dropout{Ratio: r.Float(0, 1), ScaleTrain: r.Bool()}
	case 30:
		return "ReLU6", &graph.ReLU6{}
	case 31:
		var coeff []float32
		if r.Intn(4) == 0 {
			coeff = r.floats(4, -2, 2)
		}
		return "Eltwise", &graph.Eltwise{Operation: graph.EltwiseOp(r.Intn(3)), Coeff: coeff}
	case 32:
		return "Softmax", &graph.Softmax{Axis: r.Range(-3, 4)}
	case 33:
		return "Concat", &graph.Concat{Axis: r.Range(-3, 4)}
	case 34:
		return "Slice", &graph.Slice{Axis: r.Range(-3, 4), SlicePoints: r.ints(lim, 3, 0, 6)}
	case 35:
		return "Split", &graph.Split{}
	case 36:
		return "Flatten", &graph.Flatten{Axis: r.Range(-3, 4), EndAxis: r.Range(-3, 4)}
	case 37:
		dims := r.ints(lim, 5, -2, 8)
		return "Reshape", &graph.Reshape{Dims: dims, Axis: r.Range(-3, 3), NumAxes: r.Range(-2, 4)}
	case 38:
		return "Crop", &graph.Crop{Axis: r.Range(-3, 4), Offsets: r.ints(lim, 4, -1, 4)}
	case 39:
		return "Tile", &graph.Tile{Axis: r.Range(-3, 4), Tiles: r.small(lim, 0, 4)}
	case 40:
		return "Reduction", &graph.Reduction{Operation: graph.ReductionOp(r.Range(0, 5)), Axis: r.Range(-3, 4), Coeff: r.Float(-2, 2)}
	case 41:
		return "ArgMax", &graph.ArgMax{OutMaxVal: r.Bool(), TopK: r.small(lim, 0, 5), HasAxis: r.Bool(), Axis: r.Range(-3, 4)}
	case 42:
		return "BatchReindex", &graph.BatchReindex{}
	case 43:
		return "Im2col", &graph.Im2col{Conv: r.conv(lim)}
	case 44:
		order := make([]int, r.Intn(6))
		for i := range order {
			order[i] = r.Range(-1, 4)
		}
		return "Permute", &graph.Permute{Order: order}
	case 45:
		return "Normalize", &graph.Normalize{AcrossSpatial: r.Bool(), ChannelShared: r.Bool(), Eps: r.Float(0, 0.1), ScaleFiller: r.Filler()}
	case 46:
		return "PriorBox", &graph.PriorBox{
			MinSizes: r.floats(3, -1, 30), MaxSizes: r.floats(2, -1, 40), AspectRatios: r.floats(3, 0, 3),
			Flip: r.Bool(), Clip: r.Bool(), Variance: r.floats(4, 0, 0.3),
			ImgH: r.small(lim, 0, 64), ImgW: r.small(lim, 0, 64), StepH: r.Float(0, 16), StepW: r.Float(0, 16),
			Offset: r.Float(0, 1),
		}
	case 47:
		return "DetectionOutput", &graph.DetectionOutput{
			NumClasses: r.small(lim, 0, 4), ShareLocation: r.Bool(), BackgroundLabelID: r.Range(-1, 3),
			NMSThreshold: r.Float(0, 1), NMSTopK: r.Range(-1, 8), NMSEta: r.Float(0, 1.5),
			CodeType: graph.CodeType(r.Range(0, 4)), VarianceEncodedInTarget: r.Bool(),
			KeepTopK: r.Range(-1, 8), ConfidenceThreshold: r.Float(0, 1), HasConfidenceThreshold: r.Bool(),
		}
	case 48:
		return "Interp", &graph.Interp{Height: r.small(lim, 0, 12), Width: r.small(lim, 0, 12),
			ZoomFactor: r.small(lim, 0, 3), ShrinkFactor: r.small(lim, 0, 3), PadBeg: r.Range(-2, 1), PadEnd: r.Range(-2, 1)}
	case 49:
		u := &graph.Upsample{Scale: r.small(lim, 0, 3), ScaleH: r.small(lim, 0, 3), ScaleW: r.small(lim, 0, 3),
			PadOutH: r.Bool(), PadOutW: r.Bool()}
		if r.Intn(3) == 0 {
			u.UpsampleH, u.UpsampleW = r.small(lim, 0, 12), r.small(lim, 0, 12)
		}
		return "Upsample", u
	case 50:
		return "ShuffleChannel", &graph.ShuffleChannel{Group: r.small(lim, 0, 4)}
	default:
		return "Silence", &graph.Silence{}
	}
}

// count draws a bottom or top count for an arity bound, mostly within it.
func (r *Reader) count(lo, hi int) int {
	if hi < 0 {
		hi = lo + 2
	}
	n := lo
	if r.Intn(4) == 0 {
		n = r.Range(lo, hi)
	}
	if r.Intn(64) == 63 { // rarely one too many or too few
		n += []int{-1, 1}[r.Intn(2)]
	}
	return max(n, 0)
}

// Net builds a graph: one or two Input layers, then up to
// lim.MaxLayers layers drawn from the bytes. Each layer reads existing
// blobs (mostly the newest) and writes new blobs or, sometimes, one of its
// bottoms in place. Graph.Add errors (a malformed wiring) are returned.
func Net(data []byte, lim Limits) (*graph.Graph, error) {
	r := NewReader(data)
	g := graph.New("fuzz")
	var blobs []string
	nIn := 1 + r.Intn(2)
	for i := 0; i < nIn; i++ {
		name := fmt.Sprintf("in%d", i)
		n := &graph.Node{Name: name, Type: "Input", Op: &graph.Input{Shapes: []graph.Shape{r.Shape(lim)}}}
		if err := g.Add(n, nil, []string{name}); err != nil {
			return nil, err
		}
		blobs = append(blobs, name)
	}
	for i := 0; i < lim.MaxLayers && r.Left() > 0; i++ {
		typ, op := r.Op(lim)
		a := graph.ArityOf(op)
		nb := r.count(max(a.MinBottoms, 1), a.MaxBottoms)
		if a.MaxBottoms == 0 {
			nb = 0
		}
		nt := r.count(a.MinTops, a.MaxTops)
		if a.EqualBottomsTops && r.Intn(8) != 7 {
			nt = nb
		}
		bottoms := make([]string, nb)
		for j := range bottoms {
			// Mostly the newest blob, so chains grow deep.
			k := len(blobs) - 1
			if r.Intn(3) == 0 {
				k = r.Intn(len(blobs))
			}
			bottoms[j] = blobs[k]
		}
		tops := make([]string, nt)
		for j := range tops {
			tops[j] = fmt.Sprintf("b%d_%d", i, j)
		}
		if nt == 1 && nb >= 1 && r.Intn(4) == 0 {
			tops[0] = bottoms[0] // in place
		}
		name := fmt.Sprintf("l%d", i)
		n := &graph.Node{Name: name, Type: typ, Op: op}
		if r.Intn(16) == 15 {
			n.ParamSpecs = []graph.ParamSpec{{Name: "shared", LrMult: 1}}
		}
		if err := g.Add(n, bottoms, tops); err != nil {
			return nil, err
		}
		for _, t := range tops {
			if t != bottoms0(bottoms) {
				blobs = append(blobs, t)
			}
		}
	}
	return g, nil
}

func bottoms0(b []string) string {
	if len(b) == 0 {
		return ""
	}
	return b[0]
}
