package caffe

import (
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// convSpatial resolves one per-axis convolution setting written either as
// the repeated field (name) or as its name_h/name_w pair, following
// BaseConvolutionLayer::LayerSetUp: the pair means 2-D and excludes the
// repeated form.
func (d *layerDecoder) convSpatial(name string, rep []uint32, h, w *uint32) ([]int, error) {
	if h == nil && w == nil {
		return ints32(rep), nil
	}
	if len(rep) > 0 {
		return nil, d.fail(name, "either %s or %s_h/%s_w should be specified; not both", name, name, name)
	}
	var hv, wv uint32
	if h != nil {
		hv = *h
	}
	if w != nil {
		wv = *w
	}
	return []int{int(hv), int(wv)}, nil
}

// convParams decodes a ConvolutionParameter (Convolution, Deconvolution,
// the depthwise forks and Im2col). needOutput is false for Im2col, which
// ignores num_output.
func (d *layerDecoder) convParams(p *caffepb.ConvolutionParameter, needOutput bool) (*graph.Conv, error) {
	if p == nil {
		p = &caffepb.ConvolutionParameter{}
	}
	c := &graph.Conv{
		NumOutput:    int(p.GetNumOutput()),
		BiasTerm:     p.GetBiasTerm(),
		Group:        int(p.GetGroup()),
		Axis:         int(p.GetAxis()),
		ForceND:      p.GetForceNdIm2Col(),
		Dilation:     ints32(p.GetDilation()),
		WeightFiller: filler(p.GetWeightFiller(), graph.DefaultFiller()),
		BiasFiller:   filler(p.GetBiasFiller(), graph.DefaultFiller()),
	}
	var err error
	if c.Kernel, err = d.convSpatial("kernel_size", p.GetKernelSize(), p.KernelH, p.KernelW); err != nil {
		return nil, err
	}
	if len(c.Kernel) == 0 {
		return nil, d.fail("kernel_size", "must be specified (kernel_size once or once per spatial axis, or kernel_h and kernel_w)")
	}
	kfield := "kernel_size"
	if p.KernelH != nil || p.KernelW != nil {
		kfield = "kernel_h/kernel_w"
	}
	for _, k := range c.Kernel {
		if k <= 0 {
			return nil, d.fail(kfield, "filter dimensions must be nonzero, got %v", c.Kernel)
		}
	}
	if c.Stride, err = d.convSpatial("stride", p.GetStride(), p.StrideH, p.StrideW); err != nil {
		return nil, err
	}
	for _, s := range c.Stride {
		if s <= 0 {
			return nil, d.fail("stride", "stride dimensions must be nonzero, got %v", c.Stride)
		}
	}
	if c.Pad, err = d.convSpatial("pad", p.GetPad(), p.PadH, p.PadW); err != nil {
		return nil, err
	}
	for _, x := range c.Dilation {
		if x <= 0 {
			return nil, d.fail("dilation", "dilation dimensions must be nonzero, got %v", c.Dilation)
		}
	}
	if needOutput && c.NumOutput <= 0 {
		return nil, d.fail("num_output", "must be specified and positive")
	}
	if c.Group <= 0 {
		return nil, d.fail("group", "must be positive, got %d", c.Group)
	}
	return c, nil
}

func decodeConv(d *layerDecoder) (graph.Op, error) {
	c, err := d.convParams(d.l.GetConvolutionParam(), true)
	if err != nil {
		return nil, err
	}
	switch d.typ {
	case "Deconvolution":
		c.Deconv = true
	case "ConvolutionDepthwise", "DepthwiseConvolution":
		c.Depthwise = true
	}
	return c, nil
}

func decodeIm2col(d *layerDecoder) (graph.Op, error) {
	c, err := d.convParams(d.l.GetConvolutionParam(), false)
	if err != nil {
		return nil, err
	}
	return &graph.Im2col{Conv: *c}, nil
}

// decodePool follows PoolingLayer::LayerSetUp: the kernel is kernel_size or
// both kernel_h and kernel_w (none with global pooling); pad and stride are
// the square form or both _h and _w.
func decodePool(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetPoolingParam()
	if p == nil {
		p = &caffepb.PoolingParameter{}
	}
	o := &graph.Pool{Global: p.GetGlobalPooling()}
	switch p.GetPool() {
	case caffepb.PoolingParameter_AVE:
		o.Method = graph.PoolAve
	case caffepb.PoolingParameter_STOCHASTIC:
		o.Method = graph.PoolStochastic
	default:
		o.Method = graph.PoolMax
	}
	hasK := p.KernelSize != nil
	hasHW := p.KernelH != nil && p.KernelW != nil
	if o.Global {
		if hasK || p.KernelH != nil || p.KernelW != nil {
			return nil, d.fail("global_pooling", "with global_pooling: true the filter size cannot be specified")
		}
	} else {
		switch {
		case hasK && hasHW:
			return nil, d.fail("kernel_size", "filter size is kernel_size OR kernel_h and kernel_w; not both")
		case !hasK && !hasHW && (p.KernelH != nil || p.KernelW != nil):
			return nil, d.fail("kernel_h/kernel_w", "for non-square filters both kernel_h and kernel_w are required")
		case !hasK && !hasHW:
			return nil, d.fail("kernel_size", "must be specified (kernel_size, or kernel_h and kernel_w, or global_pooling)")
		case hasK:
			o.KernelH, o.KernelW = int(p.GetKernelSize()), int(p.GetKernelSize())
		default:
			o.KernelH, o.KernelW = int(p.GetKernelH()), int(p.GetKernelW())
		}
		if o.KernelH <= 0 || o.KernelW <= 0 {
			return nil, d.fail("kernel_size", "filter dimensions cannot be zero")
		}
	}
	if !(p.Pad == nil && p.PadH != nil && p.PadW != nil || p.PadH == nil && p.PadW == nil) {
		return nil, d.fail("pad", "pad is pad OR pad_h and pad_w are required")
	}
	if !(p.Stride == nil && p.StrideH != nil && p.StrideW != nil || p.StrideH == nil && p.StrideW == nil) {
		return nil, d.fail("stride", "stride is stride OR stride_h and stride_w are required")
	}
	if p.PadH == nil {
		o.PadH, o.PadW = int(p.GetPad()), int(p.GetPad())
	} else {
		o.PadH, o.PadW = int(p.GetPadH()), int(p.GetPadW())
	}
	if p.StrideH == nil {
		o.StrideH, o.StrideW = int(p.GetStride()), int(p.GetStride())
	} else {
		o.StrideH, o.StrideW = int(p.GetStrideH()), int(p.GetStrideW())
	}
	o.CeilMode = p.GetRoundMode() == caffepb.PoolingParameter_CEIL
	// Forks (and OpenCV's copy of the schema) spell the rounding as
	// `ceil_mode: false`; honour it when round_mode is not set.
	if u := d.unknownIn(d.l.PoolingParam, "ceil_mode"); u != nil && p.RoundMode == nil {
		v, err := u.Bool()
		if err != nil {
			return nil, d.fail("pooling_param.ceil_mode", "%v", err)
		}
		o.CeilMode = v
	}
	return o, nil
}

func decodeSPP(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetSppParam()
	o := &graph.SPP{PyramidHeight: int(p.GetPyramidHeight())}
	switch p.GetPool() {
	case caffepb.SPPParameter_AVE:
		o.Method = graph.PoolAve
	case caffepb.SPPParameter_STOCHASTIC:
		o.Method = graph.PoolStochastic
	default:
		o.Method = graph.PoolMax
	}
	return o, nil
}

func decodeInnerProduct(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetInnerProductParam()
	return &graph.InnerProduct{
		NumOutput:    int(p.GetNumOutput()),
		BiasTerm:     p.GetBiasTerm(),
		Axis:         int(p.GetAxis()),
		Transpose:    p.GetTranspose(),
		WeightFiller: filler(p.GetWeightFiller(), graph.DefaultFiller()),
		BiasFiller:   filler(p.GetBiasFiller(), graph.DefaultFiller()),
	}, nil
}

func decodeEmbed(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetEmbedParam()
	return &graph.Embed{
		NumOutput:    int(p.GetNumOutput()),
		InputDim:     int(p.GetInputDim()),
		BiasTerm:     p.GetBiasTerm(),
		WeightFiller: filler(p.GetWeightFiller(), graph.DefaultFiller()),
		BiasFiller:   filler(p.GetBiasFiller(), graph.DefaultFiller()),
	}, nil
}

func decodeLRN(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetLrnParam()
	o := &graph.LRN{
		LocalSize: int(p.GetLocalSize()),
		Alpha:     p.GetAlpha(),
		Beta:      p.GetBeta(),
		K:         p.GetK(),
	}
	if p.GetNormRegion() == caffepb.LRNParameter_WITHIN_CHANNEL {
		o.Region = graph.WithinChannel
	}
	if o.LocalSize%2 != 1 {
		return nil, d.fail("local_size", "LRN only supports odd values for local_size, got %d", o.LocalSize)
	}
	return o, nil
}

func decodeMVN(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetMvnParam()
	return &graph.MVN{
		NormalizeVariance: p.GetNormalizeVariance(),
		AcrossChannels:    p.GetAcrossChannels(),
		Eps:               p.GetEps(),
	}, nil
}

// decodeBatchNorm: use_global_stats defaults to phase == TEST. Caffe fixes
// the three statistics blobs with lr_mult 0 and rejects any param entry
// that says otherwise.
func decodeBatchNorm(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetBatchNormParam()
	o := &graph.BatchNorm{
		UseGlobalStats:        d.phase == caffepb.Phase_TEST,
		MovingAverageFraction: p.GetMovingAverageFraction(),
		Eps:                   p.GetEps(),
	}
	if p != nil && p.UseGlobalStats != nil {
		o.UseGlobalStats = p.GetUseGlobalStats()
	}
	for i, ps := range d.l.Param {
		if i < 3 && ps.GetLrMult() != 0 {
			return nil, d.fail("param", "param %d has lr_mult %g: cannot configure batch normalization statistics as layer parameters", i, ps.GetLrMult())
		}
	}
	return o, nil
}

func decodeScale(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetScaleParam()
	o := &graph.Scale{
		Axis:       int(p.GetAxis()),
		NumAxes:    int(p.GetNumAxes()),
		Filler:     filler(p.GetFiller(), constFiller(1)),
		BiasTerm:   p.GetBiasTerm(),
		BiasFiller: filler(p.GetBiasFiller(), graph.DefaultFiller()),
	}
	if o.NumAxes < -1 {
		return nil, d.fail("num_axes", "must be non-negative, or -1 to extend to the end of bottom[0], got %d", o.NumAxes)
	}
	return o, nil
}

func decodeBias(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetBiasParam()
	o := &graph.Bias{
		Axis:    int(p.GetAxis()),
		NumAxes: int(p.GetNumAxes()),
		Filler:  filler(p.GetFiller(), graph.DefaultFiller()),
	}
	if o.NumAxes < -1 {
		return nil, d.fail("num_axes", "must be non-negative, or -1 to extend to the end of bottom[0], got %d", o.NumAxes)
	}
	return o, nil
}
