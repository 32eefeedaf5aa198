package graph

import "fmt"

// ---- Convolution / Deconvolution / depthwise ----

func (o *Conv) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

// infer: Caffe's BaseConvolutionLayer. Every bottom must have the shape of
// bottom[0]; each yields one top of shape in[:axis] + [num_output] +
// output spatial dims.
func (o *Conv) infer(in []Shape, nTops int) ([]Shape, error) {
	for i := 1; i < len(in); i++ {
		if !in[i].Equal(in[0]) {
			return nil, ferr(fmt.Sprintf("bottom[%d]", i), "all inputs must have the same shape: %v vs bottom[0] %v", in[i], in[0])
		}
	}
	g, err := o.Geometry(in[0])
	if err != nil {
		return nil, err
	}
	top := append(Shape{}, in[0][:g.ChannelAxis]...)
	top = append(top, o.NumOutput)
	top = append(top, g.OutSpatial...)
	return same(top, nTops), nil
}

// ParamShapes: weights [num_output, C_in/group, k...] (deconvolution:
// [C_in, num_output/group, k...]) and an optional bias [num_output].
func (o *Conv) ParamShapes(in []Shape) ([]Shape, error) {
	if len(in) < 1 {
		return nil, ferr("bottom", "needs a bottom shape")
	}
	g, err := o.Geometry(in[0])
	if err != nil {
		return nil, err
	}
	var w Shape
	if o.Deconv {
		w = Shape{g.Channels, o.NumOutput / g.Group}
	} else {
		w = Shape{o.NumOutput, g.Channels / g.Group}
	}
	w = append(w, g.Kernel...)
	out := []Shape{w}
	if o.BiasTerm {
		out = append(out, Shape{o.NumOutput})
	}
	return out, nil
}

func (o *Conv) Fillers() []Filler {
	if o.BiasTerm {
		return []Filler{o.WeightFiller, o.BiasFiller}
	}
	return []Filler{o.WeightFiller}
}

// ---- Im2col ----

func (o *Im2col) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

// infer: the channel axis becomes C*prod(kernel); spatial axes take the
// convolution output size. num_output and group play no part.
func (o *Im2col) infer(in []Shape, nTops int) ([]Shape, error) {
	g, err := convGeometry(&o.Conv, in[0], false)
	if err != nil {
		return nil, err
	}
	c, err := dimProduct("kernel_size", append([]int{g.Channels}, g.Kernel...)...)
	if err != nil {
		return nil, err
	}
	top := append(Shape{}, in[0][:g.ChannelAxis]...)
	top = append(top, c)
	top = append(top, g.OutSpatial...)
	return []Shape{top}, nil
}

// ---- Pooling ----

func (o *Pool) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

// infer: [N, C, pooled_h, pooled_w]; a second MAX top (the argmax mask)
// has the same shape.
func (o *Pool) infer(in []Shape, nTops int) ([]Shape, error) {
	g, err := o.Geometry(in[0])
	if err != nil {
		return nil, err
	}
	return same(Shape{in[0][0], in[0][1], g.OutH, g.OutW}, nTops), nil
}

// ---- SPP ----

func (o *SPP) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

// infer: with one level Caffe's SPP is a plain pooling ([N, C, 1, 1]);
// otherwise each level's pooled map is flattened and all are concatenated
// ([N, C * sum of pooled sizes], i.e. C * sum 4^l in the usual case).
func (o *SPP) infer(in []Shape, nTops int) ([]Shape, error) {
	levels, err := o.Levels(in[0])
	if err != nil {
		return nil, err
	}
	n, c := in[0][0], in[0][1]
	if len(levels) == 1 {
		return []Shape{{n, c, levels[0].OutH, levels[0].OutW}}, nil
	}
	bins := 0
	for _, l := range levels {
		bins += l.OutH * l.OutW
	}
	d, err := dimProduct("pyramid_height", c, bins)
	if err != nil {
		return nil, err
	}
	return []Shape{{n, d}}, nil
}

// ---- InnerProduct ----

func (o *InnerProduct) InferShapes(in []Shape, nTops int) ([]Shape, error) {
	return checked(o, in, nTops)
}

// ipDims returns the canonical axis and K = count(axis..end).
func (o *InnerProduct) ipDims(in Shape) (int, int, error) {
	axis, err := CanonicalAxis(o.Axis, len(in))
	if err != nil {
		return 0, 0, ferr("axis", "%v", err)
	}
	if o.NumOutput <= 0 {
		return 0, 0, ferr("num_output", "must be positive, got %d", o.NumOutput)
	}
	return axis, in.CountRange(axis, len(in)), nil
}

// infer: in[:axis] + [num_output].
func (o *InnerProduct) infer(in []Shape, nTops int) ([]Shape, error) {
	axis, _, err := o.ipDims(in[0])
	if err != nil {
		return nil, err
	}
	top := append(Shape{}, in[0][:axis]...)
	return []Shape{append(top, o.NumOutput)}, nil
}

// ParamShapes: weights [N, K] ([K, N] when transposed), bias [N].
func (o *InnerProduct) ParamShapes(in []Shape) ([]Shape, error) {
	if len(in) < 1 {
		return nil, ferr("bottom", "needs a bottom shape")
	}
	_, k, err := o.ipDims(in[0])
	if err != nil {
		return nil, err
	}
	w := Shape{o.NumOutput, k}
	if o.Transpose {
		w = Shape{k, o.NumOutput}
	}
	out := []Shape{w}
	if o.BiasTerm {
		out = append(out, Shape{o.NumOutput})
	}
	return out, nil
}

func (o *InnerProduct) Fillers() []Filler {
	if o.BiasTerm {
		return []Filler{o.WeightFiller, o.BiasFiller}
	}
	return []Filler{o.WeightFiller}
}

// ---- Embed ----

func (o *Embed) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

func (o *Embed) check() error {
	if o.NumOutput <= 0 {
		return ferr("num_output", "must be positive, got %d", o.NumOutput)
	}
	if o.InputDim <= 0 {
		return ferr("input_dim", "must be positive, got %d", o.InputDim)
	}
	return nil
}

// infer: every input value (an index) becomes a num_output vector.
func (o *Embed) infer(in []Shape, nTops int) ([]Shape, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	return []Shape{append(in[0].Clone(), o.NumOutput)}, nil
}

// ParamShapes: weights [input_dim, num_output], bias [num_output].
func (o *Embed) ParamShapes(in []Shape) ([]Shape, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	out := []Shape{{o.InputDim, o.NumOutput}}
	if o.BiasTerm {
		out = append(out, Shape{o.NumOutput})
	}
	return out, nil
}

func (o *Embed) Fillers() []Filler {
	if o.BiasTerm {
		return []Filler{o.WeightFiller, o.BiasFiller}
	}
	return []Filler{o.WeightFiller}
}
