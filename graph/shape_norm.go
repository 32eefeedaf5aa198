package graph

// ---- BatchNorm ----

func (o *BatchNorm) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

// infer: same shape. Caffe's Reshape reads shape(1), so the bottom needs
// at least two axes even though LayerSetUp accepts one.
func (o *BatchNorm) infer(in []Shape, nTops int) ([]Shape, error) {
	if len(in[0]) < 2 {
		return nil, ferr("bottom[0]", "BatchNorm needs at least 2 axes (N, C, ...), got %v", in[0])
	}
	return same(in[0], 1), nil
}

// ParamShapes: mean [C], variance [C], moving-average factor [1]; C is
// in[1] (1 for a one-axis bottom, as in Caffe's LayerSetUp).
func (o *BatchNorm) ParamShapes(in []Shape) ([]Shape, error) {
	if len(in) < 1 || len(in[0]) < 1 {
		return nil, ferr("bottom[0]", "BatchNorm needs a bottom with at least one axis")
	}
	c := 1
	if len(in[0]) > 1 {
		c = in[0][1]
	}
	return []Shape{{c}, {c}, {1}}, nil
}

// Fillers: Caffe zeroes the three statistics blobs.
func (o *BatchNorm) Fillers() []Filler {
	return []Filler{DefaultFiller(), DefaultFiller(), DefaultFiller()}
}

// ---- Scale and Bias ----

// broadcastShape is the shape of a learned Scale/Bias blob: in[axis :
// axis+numAxes] (numAxes -1 = to the end).
func broadcastShape(in Shape, axis, numAxes int) (Shape, error) {
	a, err := CanonicalAxis(axis, len(in))
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	if numAxes < -1 {
		return nil, ferr("num_axes", "must be non-negative, or -1 to extend to the end of bottom[0]; got %d", numAxes)
	}
	end := len(in)
	if numAxes >= 0 {
		end = a + numAxes
		if end > len(in) {
			return nil, ferr("num_axes", "blob shape extends past bottom[0]'s shape %v when applied starting with axis %d (num_axes %d)", in, a, numAxes)
		}
	}
	return append(Shape{}, in[a:end]...), nil
}

// checkBroadcast is Caffe's Scale/Bias Reshape check: b must match
// in[axis : axis+len(b)] (a scalar b always fits, at axis 0).
func checkBroadcast(in, b Shape, axis int, what string) error {
	if len(b) == 0 {
		return nil
	}
	a, err := CanonicalAxis(axis, len(in))
	if err != nil {
		return ferr("axis", "%v", err)
	}
	if a+len(b) > len(in) {
		return ferr("bottom[1]", "%s shape %v extends past bottom[0]'s shape %v when applied starting with axis %d", what, b, in, a)
	}
	for i, d := range b {
		if in[a+i] != d {
			return ferr("bottom[1]", "%s shape %v does not match bottom[0] %v at axis %d", what, b, in, a+i)
		}
	}
	return nil
}

func (o *Scale) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

// infer: same shape as bottom[0]; the scale (learned or bottom[1]) and
// the optional bias must broadcast along axis.
func (o *Scale) infer(in []Shape, nTops int) ([]Shape, error) {
	ps, err := o.ParamShapes(in)
	if err != nil {
		return nil, err
	}
	if len(in) == 2 {
		if err := checkBroadcast(in[0], in[1], o.Axis, "scale"); err != nil {
			return nil, err
		}
	} else if err := checkBroadcast(in[0], ps[0], o.Axis, "scale"); err != nil {
		return nil, err
	}
	return same(in[0], 1), nil
}

// ParamShapes: with one bottom, the learned scale in[axis:axis+num_axes];
// with bias_term, a bias of the shape of the scale (the second bottom's
// rank when the scale is a bottom). With two bottoms and no bias: none.
func (o *Scale) ParamShapes(in []Shape) ([]Shape, error) {
	if len(in) < 1 {
		return nil, ferr("bottom", "needs a bottom shape")
	}
	var out []Shape
	numAxes := o.NumAxes
	if len(in) == 1 {
		s, err := broadcastShape(in[0], o.Axis, o.NumAxes)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	} else {
		numAxes = len(in[1])
	}
	if o.BiasTerm {
		b, err := broadcastShape(in[0], o.Axis, numAxes)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (o *Scale) Fillers() []Filler { return o.fillersFor(1) }

func (o *Scale) fillersFor(nBottoms int) []Filler {
	var f []Filler
	if nBottoms < 2 {
		f = append(f, o.Filler)
	}
	if o.BiasTerm {
		f = append(f, o.BiasFiller)
	}
	return f
}

func (o *Bias) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

func (o *Bias) infer(in []Shape, nTops int) ([]Shape, error) {
	if len(in) == 2 {
		if err := checkBroadcast(in[0], in[1], o.Axis, "bias"); err != nil {
			return nil, err
		}
		return same(in[0], 1), nil
	}
	if _, err := broadcastShape(in[0], o.Axis, o.NumAxes); err != nil {
		return nil, err
	}
	return same(in[0], 1), nil
}

// ParamShapes: the learned bias in[axis:axis+num_axes]; none when the
// bias is the second bottom.
func (o *Bias) ParamShapes(in []Shape) ([]Shape, error) {
	if len(in) < 1 {
		return nil, ferr("bottom", "needs a bottom shape")
	}
	if len(in) > 1 {
		return nil, nil
	}
	s, err := broadcastShape(in[0], o.Axis, o.NumAxes)
	if err != nil {
		return nil, err
	}
	return []Shape{s}, nil
}

func (o *Bias) Fillers() []Filler { return o.fillersFor(1) }

func (o *Bias) fillersFor(nBottoms int) []Filler {
	if nBottoms > 1 {
		return nil
	}
	return []Filler{o.Filler}
}

// ---- PReLU ----

func (o *PReLU) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

func (o *PReLU) infer(in []Shape, nTops int) ([]Shape, error) {
	if _, err := o.ParamShapes(in); err != nil {
		return nil, err
	}
	return same(in[0], 1), nil
}

// ParamShapes: one slope per channel [C], or a single 0-axis slope when
// channel_shared.
func (o *PReLU) ParamShapes(in []Shape) ([]Shape, error) {
	if len(in) < 1 || len(in[0]) < 2 {
		return nil, ferr("bottom[0]", "PReLU needs a bottom with at least 2 axes")
	}
	if o.ChannelShared {
		return []Shape{{}}, nil
	}
	return []Shape{{in[0][1]}}, nil
}

func (o *PReLU) Fillers() []Filler { return []Filler{o.Filler} }

// ---- Normalize (SSD) ----

func (o *Normalize) InferShapes(in []Shape, nTops int) ([]Shape, error) {
	return checked(o, in, nTops)
}

func (o *Normalize) infer(in []Shape, nTops int) ([]Shape, error) {
	if _, err := o.ParamShapes(in); err != nil {
		return nil, err
	}
	return same(in[0], 1), nil
}

// ParamShapes: the scale, [1] when channel_shared, else [C].
func (o *Normalize) ParamShapes(in []Shape) ([]Shape, error) {
	if len(in) < 1 || len(in[0]) < 2 {
		return nil, ferr("bottom[0]", "Normalize needs a bottom with at least 2 axes")
	}
	if o.ChannelShared {
		return []Shape{{1}}, nil
	}
	return []Shape{{in[0][1]}}, nil
}

func (o *Normalize) Fillers() []Filler { return []Filler{o.ScaleFiller} }

// ---- LRN and MVN ----

func (o *LRN) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

func (o *LRN) infer(in []Shape, nTops int) ([]Shape, error) {
	if o.LocalSize <= 0 || o.LocalSize%2 != 1 {
		return nil, ferr("local_size", "LRN only supports odd positive values for local_size, got %d", o.LocalSize)
	}
	if err := need4D(in[0], "bottom[0]"); err != nil {
		return nil, err
	}
	return same(in[0], 1), nil
}

func (o *MVN) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }

// infer: same shape; Caffe's MVN uses the legacy 4-axis accessors.
func (o *MVN) infer(in []Shape, nTops int) ([]Shape, error) {
	if _, _, _, _, err := legacy4(in[0], "bottom[0]"); err != nil {
		return nil, err
	}
	return same(in[0], 1), nil
}
