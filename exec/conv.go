package exec

import (
	"github.com/caffetool/caffetool/exec/internal/im2col"
	"github.com/caffetool/caffetool/graph"
)

// convGeom is what Convolution and Deconvolution share: Caffe's
// BaseConvolutionLayer seen from the convolution side. For a deconvolution
// the "image" is the layer's top and the "columns" come from its bottom.
type convGeom struct {
	num        int // samples: count of the axes before the channel axis
	imC        int // channels of the image side (conv bottom, deconv top)
	colC       int // channels of the column side (conv top, deconv bottom)
	group      int
	imSpatial  []int // spatial dims of the image side
	colSpatial []int // spatial dims of the column side (conv output positions)
	kernel     []int
	stride     []int
	pad        []int
	dilation   []int
	nd         bool // Caffe's im2col_nd: spatial rank != 2 or force_nd_im2col
	is1x1      bool // kernel 1, stride 1, pad 0 on every axis: no im2col needed

	kernelDim  int // rows of the column matrix per group: imC/group · Π kernel
	imSize     int // imC · Π imSpatial
	colSpatSz  int // Π colSpatial
	weightSize int // per group: colC/group · kernelDim
}

// newConvGeom resolves the geometry through graph's Conv.Geometry and
// checks it against the inferred shapes.
func newConvGeom(n *graph.Node, op *graph.Conv, in, out graph.Shape) (*convGeom, error) {
	g, err := op.Geometry(in)
	if err != nil {
		return nil, coreErr(n, "", "%v", err)
	}
	axis := g.ChannelAxis
	if len(out) != len(in) || out.CountRange(0, axis) != g.Outer || out[axis] != op.NumOutput {
		return nil, coreErr(n, "top[0]", "inferred shape %v does not fit bottom %v with num_output %d", out, in, op.NumOutput)
	}
	for i, d := range g.OutSpatial {
		if out[axis+1+i] != d {
			return nil, coreErr(n, "top[0]", "inferred shape %v disagrees with the kernel geometry (spatial %v)", out, g.OutSpatial)
		}
	}
	c := &convGeom{
		num: g.Outer, group: g.Group,
		kernel: g.Kernel, stride: g.Stride, pad: g.Pad, dilation: g.Dilation,
		nd: len(g.Kernel) != 2 || op.ForceND,
	}
	if op.Deconv {
		c.imC, c.colC = op.NumOutput, g.Channels
		c.imSpatial, c.colSpatial = g.OutSpatial, g.InSpatial
	} else {
		c.imC, c.colC = g.Channels, op.NumOutput
		c.imSpatial, c.colSpatial = g.InSpatial, g.OutSpatial
	}
	// The column matrix must be exactly what im2col of the image gives,
	// otherwise col2im/im2col would read or write the wrong pixels.
	for i := range c.imSpatial {
		if im2col.OutDim(c.imSpatial[i], c.kernel[i], c.pad[i], c.stride[i], c.dilation[i]) != c.colSpatial[i] {
			return nil, coreErr(n, "", "spatial sizes %v and %v are inconsistent with kernel %v stride %v pad %v dilation %v",
				c.imSpatial, c.colSpatial, c.kernel, c.stride, c.pad, c.dilation)
		}
	}
	c.is1x1 = true
	for i := range c.kernel {
		if c.kernel[i] != 1 || c.stride[i] != 1 || c.pad[i] != 0 {
			c.is1x1 = false
		}
	}
	k := 1
	for _, d := range c.kernel {
		k *= d
	}
	c.kernelDim = c.imC / c.group * k
	c.imSize = c.imC * prodInts(c.imSpatial)
	c.colSpatSz = prodInts(c.colSpatial)
	c.weightSize = c.colC / c.group * c.kernelDim
	return c, nil
}

func prodInts(d []int) int {
	p := 1
	for _, v := range d {
		p *= v
	}
	return p
}

// colLen is the column buffer size (0 when the 1x1 shortcut applies).
func (c *convGeom) colLen() int {
	if c.is1x1 {
		return 0
	}
	return c.kernelDim * c.group * c.colSpatSz
}

func (c *convGeom) im2col(im, col []float32) {
	if c.nd {
		im2col.Im2colND(c.ndGeom(), im, col)
	} else {
		im2col.Im2col2D(c.geom2D(), im, col)
	}
}

func (c *convGeom) col2im(col, im []float32) {
	if c.nd {
		im2col.Col2imND(c.ndGeom(), col, im)
	} else {
		im2col.Col2im2D(c.geom2D(), col, im)
	}
}

func (c *convGeom) geom2D() im2col.Geom2D {
	return im2col.Geom2D{
		C: c.imC, H: c.imSpatial[0], W: c.imSpatial[1],
		KH: c.kernel[0], KW: c.kernel[1], PadH: c.pad[0], PadW: c.pad[1],
		StrideH: c.stride[0], StrideW: c.stride[1], DilH: c.dilation[0], DilW: c.dilation[1],
	}
}

func (c *convGeom) ndGeom() im2col.GeomND {
	return im2col.GeomND{C: c.imC, In: c.imSpatial, Kernel: c.kernel, Pad: c.pad, Stride: c.stride, Dilation: c.dilation}
}

// convLayer is Convolution (and its depthwise aliases). The path is
// chosen once, from the geometry:
//
//   - depthwise (2-D, group == input channels > 1): a direct kernel per
//     channel (conv_depthwise.go), no im2col and no tiny GEMMs;
//   - 1×1, stride 1, pad 0 (Caffe's is_1x1): the bottom already is the
//     column matrix, one GEMM per group (conv_1x1.go);
//   - few taps per output (input channels × kernel area ≤ directMaxTaps,
//     group 1, dilation 1): a direct kernel over output rows that gathers
//     each row's taps in L1 (conv_direct.go);
//   - otherwise im2col then one GEMM per group, W_g (colC/g × kernelDim) ·
//     col_g (kernelDim × positions), on bands of output rows so the column
//     buffer stays in cache (conv_gemm.go).
//
// Every path ends with the epilogue on each output plane while it is hot:
// the bias, then any per-channel layers the runtime fused into the
// convolution (conv_epilogue.go).
type convLayer struct {
	ioSizes
	scratch
	g      *convGeom
	weight []float32
	epi    epilogue
	passes epiPasses // epi compiled
	par    *parallel
	path   convPath
	// bandRows is the number of output rows per im2col band (GEMM path).
	bandRows int
	dw       *dwGeom
	wino     *winograd

	// The current call, read by the parallel range functions; wm is the
	// Winograd path's GEMM output.
	x, y, col, wm []float32
	r0, r1        int
	// Range functions, bound once so that handing them to the workers
	// allocates nothing.
	im2colRange, epiRange, epiBandRange, dwRange func(lo, hi int)
	winoInRange, winoOutRange                    func(lo, hi int)
	directRange                                  func(lo, hi int)
}

type convPath uint8

const (
	convGEMM convPath = iota
	conv1x1
	convDepthwise
	convWinograd
	convDirect
)

func (p convPath) String() string {
	return [...]string{"im2col+GEMM", "1x1 GEMM", "depthwise direct", "Winograd F(2x2,3x3)", "direct few-tap"}[p]
}

func newConvolution(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Conv](n)
	if err != nil {
		return nil, err
	}
	if op.Deconv {
		return newDeconvolution(n, in, out)
	}
	if len(in) == 0 || len(in) != len(out) {
		return nil, coreErr(n, "top", "needs one top per bottom, got %d bottoms and %d tops", len(in), len(out))
	}
	g, err := newConvGeom(n, op, in[0], out[0])
	if err != nil {
		return nil, err
	}
	if err := sameShapes(n, in, out); err != nil {
		return nil, err
	}
	l := &convLayer{ioSizes: newIOSizes(in, out), g: g}
	if l.weight, err = coreParam(n, 0, g.group*g.weightSize); err != nil {
		return nil, err
	}
	if op.BiasTerm {
		bias, err := coreParam(n, 1, g.colC)
		if err != nil {
			return nil, err
		}
		l.epi = epilogue{{kind: epiAdd, b: bias}}
		l.passes = l.epi.compile(g.colC)
	}
	switch {
	case !g.nd && g.group > 1 && g.group == g.imC:
		l.path, l.dw = convDepthwise, newDWGeom(g)
	case g.is1x1:
		l.path = conv1x1
	case fitsDirect(g):
		l.path = convDirect
	case useWinograd && newWinograd(g, l.weight) != nil:
		l.path, l.wino = convWinograd, newWinograd(g, l.weight)
		l.scratch.n = l.wino.scratchLen()
	default:
		l.path = convGEMM
		l.bandRows = bandRows(g)
		l.scratch.n = l.colBandLen()
	}
	l.im2colRange, l.epiRange, l.epiBandRange, l.dwRange = l.im2colRows, l.epiChannels, l.epiBandChannels, l.dwChannels
	l.winoInRange, l.winoOutRange = l.winoInput, l.winoOutput
	l.directRange = l.directRows
	return l, nil
}

func (l *convLayer) setParallel(p *parallel) { l.par = p }

// fuse appends a fused layer's operation to the output pass.
func (l *convLayer) fuse(s epiStep) {
	l.epi = append(l.epi, s)
	l.passes = l.epi.compile(l.g.colC)
}

// sameShapes enforces Caffe's rule that every bottom of a multi-bottom
// convolution has the same shape (so one geometry serves all pairs).
func sameShapes(n *graph.Node, in, out []graph.Shape) error {
	for i := 1; i < len(in); i++ {
		if !in[i].Equal(in[0]) || !out[i].Equal(out[0]) {
			return coreErr(n, "bottom", "all bottoms must have the same shape: %v vs %v", in[i], in[0])
		}
	}
	return nil
}

func (l *convLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	g := l.g
	outDim := g.colC * g.colSpatSz
	for i := range bottoms {
		for s := 0; s < g.num; s++ {
			l.x = bottoms[i].Data[s*g.imSize : (s+1)*g.imSize]
			l.y = tops[i].Data[s*outDim : (s+1)*outDim]
			switch l.path {
			case convDepthwise:
				l.par.For(g.colC, grain(g.colSpatSz*g.kernelDim), l.dwRange)
			case conv1x1:
				l.forward1x1()
			case convWinograd:
				l.forwardWinograd()
			case convDirect:
				l.forwardDirect()
			default:
				l.forwardGEMM()
			}
		}
	}
	l.x, l.y, l.col, l.wm = nil, nil, nil, nil
	return nil
}

// epiChannels applies the epilogue to whole output planes [lo, hi).
func (l *convLayer) epiChannels(lo, hi int) {
	np := l.g.colSpatSz
	for c := lo; c < hi; c++ {
		l.passes.apply(c, l.y[c*np:(c+1)*np])
	}
}

// runEpilogue applies the epilogue to every plane of the current sample.
func (l *convLayer) runEpilogue() {
	if len(l.epi) > 0 {
		l.par.For(l.g.colC, grain(l.g.colSpatSz), l.epiRange)
	}
}

// grain is the number of items, each touching perItem values, that make a
// share worth a goroutine hand-off (a few microseconds): about 16K values.
func grain(perItem int) int { return max(1, (16<<10)/max(1, perItem)) }

// addBias adds b[c] to each of the len(b) planes of size plane in y.
func addChannelBias(y, b []float32, plane int) {
	for c, v := range b {
		row := y[c*plane : (c+1)*plane]
		for j := range row {
			row[j] += v
		}
	}
}
