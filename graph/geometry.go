package graph

import (
	"fmt"
	"math"
)

// fieldError tags an error with the layer parameter (or bottom/top) at
// fault; Graph.InferShapes turns it into LayerError.Field.
type fieldError struct {
	Field string
	Err   error
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *fieldError) Unwrap() error { return e.Err }

func ferr(field, format string, a ...any) error {
	return &fieldError{Field: field, Err: fmt.Errorf(format, a...)}
}

// mul64 multiplies non-negative values, reporting overflow of int64.
func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a < 0 || b < 0 || a > math.MaxInt64/b {
		return 0, false
	}
	return a * b, true
}

// add64 adds non-negative values, reporting overflow of int64.
func add64(a, b int64) (int64, bool) {
	if a < 0 || b < 0 || a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}

// prod64 is the product of non-negative dims, reporting overflow.
func prod64(dims ...int) (int64, bool) {
	n := int64(1)
	for _, d := range dims {
		var ok bool
		if n, ok = mul64(n, int64(d)); !ok {
			return 0, false
		}
	}
	return n, true
}

// dimProduct multiplies dims into a blob dimension; it fails when the
// result cannot be a dimension of a blob within MaxElements.
func dimProduct(field string, dims ...int) (int, error) {
	n, ok := prod64(dims...)
	if !ok || n > MaxElements {
		return 0, ferr(field, "dimension product %v exceeds the element limit %d", dims, MaxElements)
	}
	return int(n), nil
}

// checkShape rejects negative dims and element counts beyond MaxElements.
func checkShape(s Shape) error {
	for i, d := range s {
		if d < 0 {
			return fmt.Errorf("shape %v has negative dimension %d at axis %d", []int(s), d, i)
		}
	}
	n, ok := s.Count64()
	if !ok {
		if n == 0 && !fitsInt64(s) {
			return fmt.Errorf("element count of shape %v overflows", []int(s))
		}
		return fmt.Errorf("shape %v has %d elements, more than the limit %d (graph.MaxElements)", []int(s), n, MaxElements)
	}
	return nil
}

func fitsInt64(s Shape) bool {
	_, ok := prod64(s...)
	return ok
}

// legacy4 reads a blob of at most 4 axes the way Caffe's num()/channels()/
// height()/width() accessors do: missing trailing axes count as 1.
func legacy4(s Shape, field string) (n, c, h, w int, err error) {
	if len(s) > 4 {
		return 0, 0, 0, 0, ferr(field, "needs a blob of at most 4 axes (Caffe's legacy num/channels/height/width accessors), got %d axes (%v)", len(s), []int(s))
	}
	d := [4]int{1, 1, 1, 1}
	copy(d[:], s)
	return d[0], d[1], d[2], d[3], nil
}

func need4D(s Shape, field string) error {
	if len(s) != 4 {
		return ferr(field, "input must have 4 axes (num, channels, height, width), got %d axes (%v)", len(s), []int(s))
	}
	return nil
}

// ---- convolution ----

// ConvGeom is a Conv (or Im2col) configuration resolved against its bottom
// shape: one kernel/stride/pad/dilation value per spatial axis.
type ConvGeom struct {
	ChannelAxis int
	Outer       int // count of the axes before ChannelAxis (Caffe's num_)
	Channels    int // input channels
	NumOutput   int
	Group       int
	Kernel      []int
	Stride      []int
	Pad         []int
	Dilation    []int
	InSpatial   []int
	OutSpatial  []int
}

// spatialParam expands a per-axis parameter given once, once per spatial
// axis, or (when def >= 0) not at all.
func spatialParam(field string, v []int, n, def int) ([]int, error) {
	out := make([]int, n)
	switch {
	case len(v) == 0 && def >= 0:
		for i := range out {
			out[i] = def
		}
	case len(v) == 0 && n > 0:
		return nil, ferr(field, "must be specified")
	case len(v) == 1:
		for i := range out {
			out[i] = v[0]
		}
	case len(v) == n:
		copy(out, v)
	case len(v) == 0:
	default:
		return nil, ferr(field, "must be specified once, or once per spatial dimension (%d values for %d spatial axes)", len(v), n)
	}
	return out, nil
}

// Geometry resolves the convolution against bottom shape in and computes
// the output spatial size (Caffe's compute_output_shape).
func (c *Conv) Geometry(in Shape) (*ConvGeom, error) {
	return convGeometry(c, in, true)
}

func convGeometry(c *Conv, in Shape, withOutput bool) (*ConvGeom, error) {
	axis, err := CanonicalAxis(c.Axis, len(in))
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	g := &ConvGeom{ChannelAxis: axis, Channels: in[axis], NumOutput: c.NumOutput}
	g.Outer = in.CountRange(0, axis)
	ns := len(in) - axis - 1
	if g.Kernel, err = spatialParam("kernel_size", c.Kernel, ns, -1); err != nil {
		return nil, err
	}
	if g.Stride, err = spatialParam("stride", c.Stride, ns, 1); err != nil {
		return nil, err
	}
	if g.Pad, err = spatialParam("pad", c.Pad, ns, 0); err != nil {
		return nil, err
	}
	if g.Dilation, err = spatialParam("dilation", c.Dilation, ns, 1); err != nil {
		return nil, err
	}
	for i := 0; i < ns; i++ {
		switch {
		case g.Kernel[i] <= 0:
			return nil, ferr("kernel_size", "filter dimensions must be positive, got %v", g.Kernel)
		case g.Stride[i] <= 0:
			return nil, ferr("stride", "stride dimensions must be positive, got %v", g.Stride)
		case g.Pad[i] < 0:
			return nil, ferr("pad", "pad must not be negative, got %v", g.Pad)
		case g.Dilation[i] <= 0:
			return nil, ferr("dilation", "dilation must be positive, got %v", g.Dilation)
		}
	}
	if withOutput {
		if c.NumOutput <= 0 {
			return nil, ferr("num_output", "must be positive, got %d", c.NumOutput)
		}
		g.Group = c.Group
		if c.Depthwise {
			g.Group = g.Channels
		}
		if g.Group <= 0 {
			return nil, ferr("group", "must be positive, got %d", g.Group)
		}
		if g.Channels%g.Group != 0 {
			return nil, ferr("group", "group %d does not divide the %d input channels", g.Group, g.Channels)
		}
		if c.NumOutput%g.Group != 0 {
			return nil, ferr("group", "group %d does not divide num_output %d", g.Group, c.NumOutput)
		}
	}
	g.InSpatial = append([]int(nil), in[axis+1:]...)
	g.OutSpatial = make([]int, ns)
	for i := 0; i < ns; i++ {
		x, k, s, p, d := int64(g.InSpatial[i]), int64(g.Kernel[i]), int64(g.Stride[i]), int64(g.Pad[i]), int64(g.Dilation[i])
		ext := d*(k-1) + 1
		var o int64
		if c.Deconv && withOutput {
			if x < 1 {
				return nil, ferr("bottom[0]", "spatial axis %d has size %d", axis+1+i, x)
			}
			o = s*(x-1) + ext - 2*p
			if o <= 0 {
				return nil, ferr("pad", "deconvolution output size along axis %d is %d (stride %d, kernel %d, dilation %d, pad %d, input %d)", axis+1+i, o, s, k, d, p, x)
			}
		} else {
			// Caffe divides with C++ truncation, which equals floor here
			// because a kernel larger than the padded input is rejected.
			if x+2*p < ext {
				return nil, ferr("kernel_size", "kernel larger than the padded input along axis %d (input %d, pad %d, effective kernel %d)", axis+1+i, x, p, ext)
			}
			o = (x+2*p-ext)/s + 1
		}
		if o > MaxElements {
			return nil, ferr("kernel_size", "output size %d along axis %d is too large", o, axis+1+i)
		}
		g.OutSpatial[i] = int(o)
	}
	return g, nil
}

// ---- pooling ----

// PoolGeom is a Pool configuration resolved against a 4-D bottom shape.
type PoolGeom struct {
	KernelH, KernelW int
	StrideH, StrideW int
	PadH, PadW       int
	InH, InW         int
	OutH, OutW       int
}

// Geometry resolves the pooling (global kernel, rounding, last-window clip)
// against bottom shape in, as Caffe's PoolingLayer::Reshape does.
func (p *Pool) Geometry(in Shape) (*PoolGeom, error) {
	if err := need4D(in, "bottom[0]"); err != nil {
		return nil, err
	}
	g := &PoolGeom{
		KernelH: p.KernelH, KernelW: p.KernelW,
		StrideH: p.StrideH, StrideW: p.StrideW,
		PadH: p.PadH, PadW: p.PadW,
		InH: in[2], InW: in[3],
	}
	if p.Global {
		if g.PadH != 0 || g.PadW != 0 || g.StrideH != 1 || g.StrideW != 1 {
			return nil, ferr("global_pooling", "with global_pooling only pad = 0 and stride = 1 are allowed (pad %dx%d, stride %dx%d)", g.PadH, g.PadW, g.StrideH, g.StrideW)
		}
		g.KernelH, g.KernelW = g.InH, g.InW
	}
	if err := poolChecks(g, p.Method); err != nil {
		return nil, err
	}
	if err := g.pooled(p.CeilMode); err != nil {
		return nil, err
	}
	return g, nil
}

// pooled sets OutH and OutW. Caffe applies the last-window clip to both
// axes as soon as either has padding.
func (g *PoolGeom) pooled(ceil bool) error {
	clip := g.PadH != 0 || g.PadW != 0
	var err error
	if g.OutH, err = pooledSize(g.InH, g.KernelH, g.StrideH, g.PadH, ceil, clip, "height"); err != nil {
		return err
	}
	g.OutW, err = pooledSize(g.InW, g.KernelW, g.StrideW, g.PadW, ceil, clip, "width")
	return err
}

func poolChecks(g *PoolGeom, m PoolMethod) error {
	if g.KernelH <= 0 || g.KernelW <= 0 {
		return ferr("kernel_size", "filter dimensions must be positive, got %dx%d", g.KernelH, g.KernelW)
	}
	if g.StrideH <= 0 || g.StrideW <= 0 {
		return ferr("stride", "stride must be positive, got %dx%d", g.StrideH, g.StrideW)
	}
	if g.PadH < 0 || g.PadW < 0 {
		return ferr("pad", "pad must not be negative, got %dx%d", g.PadH, g.PadW)
	}
	if g.PadH != 0 || g.PadW != 0 {
		if m != PoolMax && m != PoolAve {
			return ferr("pad", "padding is implemented only for AVE and MAX pooling, not %v", m)
		}
		if g.PadH >= g.KernelH || g.PadW >= g.KernelW {
			return ferr("pad", "pad %dx%d must be smaller than the kernel %dx%d", g.PadH, g.PadW, g.KernelH, g.KernelW)
		}
	}
	return nil
}

// pooledSize is Caffe's pooled extent: ceil or floor of (in+2p-k)/s, plus
// one, computed in float32 as Caffe does. With clip (the layer has any
// padding) the last window must start inside the input or the left
// padding, else it is dropped; without padding a window may lie entirely
// outside the input.
func pooledSize(in, k, s, p int, ceil, clip bool, axis string) (int, error) {
	q := float64(float32(in+2*p-k) / float32(s))
	var out int
	if ceil {
		out = int(math.Ceil(q)) + 1
	} else {
		out = int(math.Floor(q)) + 1
	}
	if clip {
		if (out-1)*s >= in+p {
			out--
		}
		if (out-1)*s >= in+p {
			return 0, ferr("stride", "the last pooling window along the %s starts beyond the padded input", axis)
		}
	}
	if out <= 0 {
		return 0, ferr("kernel_size", "kernel %d larger than the padded input %d along the %s (pad %d)", k, in+2*p, axis, p)
	}
	return out, nil
}

// sppLevel is the pooling SPP runs for one pyramid level (Caffe's
// SPPLayer::GetPoolingParam): 2^level bins per axis, ceil-mode pooling.
func sppLevel(level, h, w int) *PoolGeom {
	bins := 1 << level
	kh := (h + bins - 1) / bins
	kw := (w + bins - 1) / bins
	ph := (kh*bins - h + 1) / 2
	pw := (kw*bins - w + 1) / 2
	return &PoolGeom{KernelH: kh, KernelW: kw, StrideH: kh, StrideW: kw, PadH: ph, PadW: pw, InH: h, InW: w}
}

// Levels resolves the SPP pyramid against a 4-D bottom shape: one pooling
// geometry per level, each with its output size.
func (o *SPP) Levels(in Shape) ([]*PoolGeom, error) {
	if err := need4D(in, "bottom[0]"); err != nil {
		return nil, err
	}
	if o.PyramidHeight < 1 || o.PyramidHeight > 30 {
		return nil, ferr("pyramid_height", "must be in [1, 30], got %d", o.PyramidHeight)
	}
	if in[2] <= 0 || in[3] <= 0 {
		return nil, ferr("bottom[0]", "input dimensions cannot be zero (%v)", []int(in))
	}
	levels := make([]*PoolGeom, o.PyramidHeight)
	for l := range levels {
		g := sppLevel(l, in[2], in[3])
		if err := poolChecks(g, o.Method); err != nil {
			return nil, ferr("pyramid_height", "level %d: %v", l, err)
		}
		if err := g.pooled(true); err != nil {
			return nil, ferr("pyramid_height", "level %d: %v", l, err)
		}
		levels[l] = g
	}
	return levels, nil
}
