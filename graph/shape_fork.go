package graph

import "math"

// ---- PriorBox (SSD) ----

// ExpandedAspectRatios is the aspect-ratio list SSD's PriorBoxLayer builds:
// 1 first, then each written ratio not within 1e-6 of one already listed,
// followed by its reciprocal when flip is set. Arithmetic is float32 as in
// SSD (the reciprocal is computed in double, then stored as float).
func (p *PriorBox) ExpandedAspectRatios() []float32 {
	ars := []float32{1}
	for _, ar := range p.AspectRatios {
		dup := false
		for _, x := range ars {
			if math.Abs(float64(ar-x)) < 1e-6 {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		ars = append(ars, ar)
		if p.Flip {
			ars = append(ars, float32(1/float64(ar)))
		}
	}
	return ars
}

// NumPriors is the number of boxes per feature-map cell.
func (p *PriorBox) NumPriors() int {
	return len(p.ExpandedAspectRatios())*len(p.MinSizes) + len(p.MaxSizes)
}

func (p *PriorBox) check() error {
	if len(p.MinSizes) == 0 {
		return ferr("min_size", "must be specified")
	}
	for i, s := range p.MinSizes {
		if !(s > 0) {
			return ferr("min_size", "min_size[%d] = %v must be positive", i, s)
		}
	}
	if len(p.MaxSizes) > 0 {
		if len(p.MaxSizes) != len(p.MinSizes) {
			return ferr("max_size", "%d max sizes for %d min sizes; give one per min_size", len(p.MaxSizes), len(p.MinSizes))
		}
		for i, s := range p.MaxSizes {
			if !(s > p.MinSizes[i]) {
				return ferr("max_size", "max_size[%d] = %v must be greater than min_size %v", i, s, p.MinSizes[i])
			}
		}
	}
	for i, ar := range p.AspectRatios {
		if !(ar > 0) {
			return ferr("aspect_ratio", "aspect_ratio[%d] = %v must be positive", i, ar)
		}
	}
	switch len(p.Variance) {
	case 0, 1, 4:
	default:
		return ferr("variance", "give 1 or 4 variances, got %d", len(p.Variance))
	}
	for i, v := range p.Variance {
		if !(v > 0) {
			return ferr("variance", "variance[%d] = %v must be positive", i, v)
		}
	}
	if p.ImgH < 0 || p.ImgW < 0 || p.StepH < 0 || p.StepW < 0 {
		return ferr("img_size", "image size and step must not be negative")
	}
	return nil
}

func (p *PriorBox) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(p, in, n) }

// infer: [1, 2, H*W*num_priors*4]: box coordinates, then their variances,
// for the feature map bottom[0] (the same for every image of the batch).
func (p *PriorBox) infer(in []Shape, n int) ([]Shape, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	_, _, h, w, err := legacy4(in[0], "bottom[0]")
	if err != nil {
		return nil, err
	}
	if _, _, _, _, err := legacy4(in[1], "bottom[1]"); err != nil {
		return nil, err
	}
	d, err := dimProduct("min_size", h, w, p.NumPriors(), 4)
	if err != nil {
		return nil, err
	}
	if d <= 0 {
		return nil, ferr("bottom[0]", "feature map %v yields no prior boxes", in[0])
	}
	return []Shape{{1, 2, d}}, nil
}

// ---- DetectionOutput (SSD) ----

func (o *DetectionOutput) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: detections are [1, 1, K, 7] with K known only after NMS; like
// Caffe (and OpenCV) the shape at reshape time is [1, 1, 1, 7]. The
// location, confidence and prior blobs must agree on the prior count.
func (o *DetectionOutput) infer(in []Shape, n int) ([]Shape, error) {
	if o.NumClasses <= 0 {
		return nil, ferr("num_classes", "must be positive, got %d", o.NumClasses)
	}
	ln, lc, _, _, err := legacy4(in[0], "bottom[0]")
	if err != nil {
		return nil, err
	}
	cn, cc, _, _, err := legacy4(in[1], "bottom[1]")
	if err != nil {
		return nil, err
	}
	_, _, ph, _, err := legacy4(in[2], "bottom[2]")
	if err != nil {
		return nil, err
	}
	if ln != cn {
		return nil, ferr("bottom[1]", "location and confidence predictions have different batch sizes (%d vs %d)", ln, cn)
	}
	priors := ph / 4
	locClasses := 1
	if !o.ShareLocation {
		locClasses = o.NumClasses
	}
	if want, ok := prod64(priors, locClasses, 4); !ok || want != int64(lc) {
		return nil, ferr("bottom[0]", "number of priors (%d) must match number of location predictions (%d channels, %d location classes)", priors, lc, locClasses)
	}
	if want, ok := prod64(priors, o.NumClasses); !ok || want != int64(cc) {
		return nil, ferr("bottom[1]", "number of priors (%d) must match number of confidence predictions (%d channels, %d classes)", priors, cc, o.NumClasses)
	}
	return []Shape{{1, 1, 1, 7}}, nil
}

// ---- Interp (PSPNet / DeepLab) ----

func (o *Interp) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// OutputSize is the fork's InterpLayer::Reshape rule for an input of
// height h and width w. Zero fields are unset. Padding (pad_beg, pad_end
// <= 0) crops the input first; then, in the fork's order: shrink only,
// zoom only, explicit height and width, shrink followed by zoom.
func (o *Interp) OutputSize(h, w int) (int, int, error) {
	if o.PadBeg > 0 || o.PadEnd > 0 {
		return 0, 0, ferr("pad_beg", "only non-positive padding (cropping) is supported, got pad_beg %d pad_end %d", o.PadBeg, o.PadEnd)
	}
	he, we := h+o.PadBeg+o.PadEnd, w+o.PadBeg+o.PadEnd
	if he <= 0 || we <= 0 {
		return 0, 0, ferr("pad_beg", "cropping leaves an empty input (%dx%d from %dx%d)", he, we, h, w)
	}
	if o.ZoomFactor < 0 {
		return 0, 0, ferr("zoom_factor", "must be positive, got %d", o.ZoomFactor)
	}
	if o.ShrinkFactor < 0 {
		return 0, 0, ferr("shrink_factor", "must be positive, got %d", o.ShrinkFactor)
	}
	shrink := func(x int) int { return (x-1)/o.ShrinkFactor + 1 }
	zoom := func(x int) int { return x + (x-1)*(o.ZoomFactor-1) }
	var oh, ow int
	switch {
	case o.ShrinkFactor > 0 && o.ZoomFactor == 0:
		oh, ow = shrink(he), shrink(we)
	case o.ZoomFactor > 0 && o.ShrinkFactor == 0:
		oh, ow = zoom(he), zoom(we)
	case o.Height > 0 && o.Width > 0:
		oh, ow = o.Height, o.Width
	case o.ShrinkFactor > 0 && o.ZoomFactor > 0:
		oh, ow = zoom(shrink(he)), zoom(shrink(we))
	default:
		return 0, 0, ferr("height", "output size needs zoom_factor, shrink_factor, or both height and width")
	}
	if n, ok := prod64(oh, ow); oh <= 0 || ow <= 0 || !ok || n > MaxElements {
		return 0, 0, ferr("height", "invalid output size %dx%d", oh, ow)
	}
	return oh, ow, nil
}

func (o *Interp) specified() bool {
	return o.ZoomFactor != 0 || o.ShrinkFactor != 0 || o.Height != 0 || o.Width != 0
}

// infer: [N, C, height_out, width_out]; with a second bottom (and no size
// parameters) the output takes that bottom's height and width.
func (o *Interp) infer(in []Shape, n int) ([]Shape, error) {
	bn, bc, bh, bw, err := legacy4(in[0], "bottom[0]")
	if err != nil {
		return nil, err
	}
	if len(in) == 2 {
		if o.specified() {
			return nil, ferr("bottom[1]", "a second bottom cannot be combined with zoom_factor, shrink_factor, height or width (ambiguous)")
		}
		if o.PadBeg > 0 || o.PadEnd > 0 {
			return nil, ferr("pad_beg", "only non-positive padding (cropping) is supported")
		}
		_, _, rh, rw, err := legacy4(in[1], "bottom[1]")
		if err != nil {
			return nil, err
		}
		if rh <= 0 || rw <= 0 {
			return nil, ferr("bottom[1]", "reference size %dx%d must be positive", rh, rw)
		}
		return []Shape{{bn, bc, rh, rw}}, nil
	}
	oh, ow, err := o.OutputSize(bh, bw)
	if err != nil {
		return nil, err
	}
	return []Shape{{bn, bc, oh, ow}}, nil
}

// ---- Upsample (SegNet unpooling / nearest-neighbour) ----

func (o *Upsample) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// scales resolves scale_h/scale_w (falling back to scale).
func (o *Upsample) scales() (int, int) {
	if o.ScaleH > 0 || o.ScaleW > 0 {
		return o.ScaleH, o.ScaleW
	}
	return o.Scale, o.Scale
}

// infer: [N, C, upsample_h, upsample_w] when both are given, else the
// input size times the scale. With two bottoms (SegNet) the second is the
// pooling mask and must match the first; SegNet requires sizes and scales
// above 1 there.
func (o *Upsample) infer(in []Shape, n int) ([]Shape, error) {
	if err := need4D(in[0], "bottom[0]"); err != nil {
		return nil, err
	}
	least := 1
	if len(in) == 2 {
		if err := need4D(in[1], "bottom[1]"); err != nil {
			return nil, err
		}
		if !in[1].Equal(in[0]) {
			return nil, ferr("bottom[1]", "the mask shape %v must equal the input shape %v", in[1], in[0])
		}
		least = 2
	}
	s := in[0]
	if o.UpsampleH > 0 || o.UpsampleW > 0 {
		if o.UpsampleH < least || o.UpsampleW < least {
			return nil, ferr("upsample_h", "upsample_h and upsample_w must both be at least %d, got %dx%d", least, o.UpsampleH, o.UpsampleW)
		}
		return []Shape{{s[0], s[1], o.UpsampleH, o.UpsampleW}}, nil
	}
	sh, sw := o.scales()
	if sh < least || sw < least {
		return nil, ferr("scale", "scale must be at least %d, got %dx%d", least, sh, sw)
	}
	h, err := dimProduct("scale", s[2], sh)
	if err != nil {
		return nil, err
	}
	w, err := dimProduct("scale", s[3], sw)
	if err != nil {
		return nil, err
	}
	if o.PadOutH {
		h--
	}
	if o.PadOutW {
		w--
	}
	return []Shape{{s[0], s[1], h, w}}, nil
}
