package caffe

import (
	"math"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// Layers of Caffe forks: the SSD detection layers (their parameters are in
// our schema, at the fork's field numbers) and layers whose parameters are
// not (Interp, Upsample, ShuffleChannel), read from the fields the text
// parser skipped.

func decodePermute(d *layerDecoder) (graph.Op, error) {
	return &graph.Permute{Order: ints32(d.l.GetPermuteParam().GetOrder())}, nil
}

// decodeNormalize: the scale starts at 1 when no filler is given.
func decodeNormalize(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetNormParam()
	return &graph.Normalize{
		AcrossSpatial: p.GetAcrossSpatial(),
		ChannelShared: p.GetChannelShared(),
		Eps:           p.GetEps(),
		ScaleFiller:   filler(p.GetScaleFiller(), constFiller(1)),
	}, nil
}

// decodePriorBox follows PriorBoxLayer::LayerSetUp of weiliu89/caffe:
// min_size required and positive, max_size (if any) one per min_size and
// larger, variance none (0.1), one or four positive values, img_size vs
// img_h/img_w and step vs step_h/step_w exclusive.
func decodePriorBox(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetPriorBoxParam()
	if p == nil {
		p = &caffepb.PriorBoxParameter{}
	}
	o := &graph.PriorBox{
		MinSizes:     append([]float32(nil), p.MinSize...),
		MaxSizes:     append([]float32(nil), p.MaxSize...),
		AspectRatios: append([]float32(nil), p.AspectRatio...),
		Flip:         p.GetFlip(),
		Clip:         p.GetClip(),
		Offset:       p.GetOffset(),
	}
	if len(o.MinSizes) == 0 {
		return nil, d.fail("prior_box_param.min_size", "must be provided")
	}
	for _, v := range o.MinSizes {
		if !(v > 0) {
			return nil, d.fail("prior_box_param.min_size", "must be positive, got %g", v)
		}
	}
	if len(o.MaxSizes) > 0 {
		if len(o.MaxSizes) != len(o.MinSizes) {
			return nil, d.fail("prior_box_param.max_size", "needs one value per min_size: %d max_size for %d min_size", len(o.MaxSizes), len(o.MinSizes))
		}
		for i, v := range o.MaxSizes {
			if !(v > o.MinSizes[i]) {
				return nil, d.fail("prior_box_param.max_size", "max_size %g must be greater than min_size %g", v, o.MinSizes[i])
			}
		}
	}
	switch n := len(p.Variance); {
	case n == 0:
		o.Variance = []float32{0.1}
	case n == 1 || n == 4:
		for _, v := range p.Variance {
			if !(v > 0) {
				return nil, d.fail("prior_box_param.variance", "must be positive, got %g", v)
			}
		}
		o.Variance = append([]float32(nil), p.Variance...)
	default:
		return nil, d.fail("prior_box_param.variance", "give one variance or exactly four, got %d", n)
	}
	switch {
	case p.ImgH != nil || p.ImgW != nil:
		if p.ImgSize != nil {
			return nil, d.fail("prior_box_param.img_size", "either img_size or img_h/img_w should be specified; not both")
		}
		o.ImgH, o.ImgW = int(p.GetImgH()), int(p.GetImgW())
		if o.ImgH <= 0 || o.ImgW <= 0 {
			return nil, d.fail("prior_box_param.img_h", "img_h and img_w must be larger than 0, got %d and %d", o.ImgH, o.ImgW)
		}
	case p.ImgSize != nil:
		o.ImgH, o.ImgW = int(p.GetImgSize()), int(p.GetImgSize())
		if o.ImgH <= 0 {
			return nil, d.fail("prior_box_param.img_size", "must be larger than 0")
		}
	}
	switch {
	case p.StepH != nil || p.StepW != nil:
		if p.Step != nil {
			return nil, d.fail("prior_box_param.step", "either step or step_h/step_w should be specified; not both")
		}
		o.StepH, o.StepW = p.GetStepH(), p.GetStepW()
		if !(o.StepH > 0) || !(o.StepW > 0) {
			return nil, d.fail("prior_box_param.step_h", "step_h and step_w must be larger than 0, got %g and %g", o.StepH, o.StepW)
		}
	case p.Step != nil:
		o.StepH, o.StepW = p.GetStep(), p.GetStep()
		if !(o.StepH > 0) {
			return nil, d.fail("prior_box_param.step", "must be larger than 0, got %g", o.StepH)
		}
	}
	return o, nil
}

// decodeDetectionOutput follows DetectionOutputLayer::LayerSetUp: num_classes
// required, nms_threshold >= 0, 0 < eta <= 1, top_k -1 when unset, and no
// confidence threshold (-FLT_MAX) when unset.
func decodeDetectionOutput(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetDetectionOutputParam()
	if p == nil || p.NumClasses == nil {
		return nil, d.fail("detection_output_param.num_classes", "must be specified")
	}
	nms := p.GetNmsParam()
	o := &graph.DetectionOutput{
		NumClasses:              int(p.GetNumClasses()),
		ShareLocation:           p.GetShareLocation(),
		BackgroundLabelID:       int(p.GetBackgroundLabelId()),
		NMSThreshold:            nms.GetNmsThreshold(),
		NMSTopK:                 -1,
		NMSEta:                  nms.GetEta(),
		CodeType:                graph.CodeType(p.GetCodeType()),
		VarianceEncodedInTarget: p.GetVarianceEncodedInTarget(),
		KeepTopK:                int(p.GetKeepTopK()),
		ConfidenceThreshold:     -math.MaxFloat32,
	}
	if nms != nil && nms.TopK != nil {
		o.NMSTopK = int(nms.GetTopK())
	}
	if p.ConfidenceThreshold != nil {
		o.ConfidenceThreshold = p.GetConfidenceThreshold()
		o.HasConfidenceThreshold = true
	}
	if !(o.NMSThreshold >= 0) {
		return nil, d.fail("detection_output_param.nms_param.nms_threshold", "must be non-negative, got %g", o.NMSThreshold)
	}
	if !(o.NMSEta > 0 && o.NMSEta <= 1) {
		return nil, d.fail("detection_output_param.nms_param.eta", "must be in (0, 1], got %g", o.NMSEta)
	}
	return o, nil
}

// forkParam returns the skipped `name { ... }` block of the layer, or nil.
func (d *layerDecoder) forkParam(name string) (*Unknown, error) {
	u := d.res.UnknownField(d.l, name)
	if u != nil && !u.Message {
		return nil, d.fail(name, "must be a { } block")
	}
	return u, nil
}

// forkInt reads an integer field of a fork parameter block: def when absent,
// an error naming block.field when malformed or outside [lo, hi].
func (d *layerDecoder) forkInt(block *Unknown, blockName, field string, def, lo, hi int64) (int, bool, error) {
	f := block.Field(field)
	if f == nil {
		return int(def), false, nil
	}
	v, err := f.Int()
	if err != nil {
		return 0, false, d.fail(blockName+"."+field, "%v", err)
	}
	if v < lo || v > hi {
		return 0, false, d.fail(blockName+"."+field, "%d is out of range [%d, %d]", v, lo, hi)
	}
	return int(v), true, nil
}

// decodeInterp reads interp_param {height width zoom_factor shrink_factor
// pad_beg pad_end} (PSPNet / DeepLab fork; int32 fields, defaults 0, 0, 1,
// 1, 0, 0). Which of them apply is decided at reshape time.
func decodeInterp(d *layerDecoder) (graph.Op, error) {
	const blk = "interp_param"
	u, err := d.forkParam(blk)
	if err != nil {
		return nil, err
	}
	o := &graph.Interp{}
	fields := []struct {
		name string
		dst  *int
		def  int64
	}{
		{"height", &o.Height, 0}, {"width", &o.Width, 0},
		{"zoom_factor", &o.ZoomFactor, 1}, {"shrink_factor", &o.ShrinkFactor, 1},
		{"pad_beg", &o.PadBeg, 0}, {"pad_end", &o.PadEnd, 0},
	}
	for _, f := range fields {
		v, _, err := d.forkInt(u, blk, f.name, f.def, math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	return o, nil
}

// decodeUpsample reads upsample_param (SegNet fork: scale default 2,
// scale_h/scale_w, upsample_h/upsample_w). With two bottoms it is SegNet's
// max-unpooling and gets the checks of that UpsampleLayer::LayerSetUp:
// explicit upsample_h and upsample_w, or scale, or both scale_h and
// scale_w, every factor or size greater than 1. With one bottom it is the
// nearest-neighbour variant of other forks, which only takes the factors
// (shape inference checks them).
func decodeUpsample(d *layerDecoder) (graph.Op, error) {
	const blk = "upsample_param"
	u, err := d.forkParam(blk)
	if err != nil {
		return nil, err
	}
	get := func(field string, def int64) (int, bool, error) {
		return d.forkInt(u, blk, field, def, 0, math.MaxUint32)
	}
	o := &graph.Upsample{}
	var hasScale, hasSH, hasSW, hasUH, hasUW bool
	if o.Scale, hasScale, err = get("scale", 2); err != nil {
		return nil, err
	}
	if o.ScaleH, hasSH, err = get("scale_h", 0); err != nil {
		return nil, err
	}
	if o.ScaleW, hasSW, err = get("scale_w", 0); err != nil {
		return nil, err
	}
	if o.UpsampleH, hasUH, err = get("upsample_h", 0); err != nil {
		return nil, err
	}
	if o.UpsampleW, hasUW, err = get("upsample_w", 0); err != nil {
		return nil, err
	}
	explicit := hasUH && hasUW
	if !explicit {
		o.UpsampleH, o.UpsampleW = 0, 0
		if !hasSH {
			o.ScaleH, o.ScaleW = o.Scale, o.Scale
		}
	}
	// The deprecated pad_out_h/pad_out_w make a scaled size one short;
	// they need a factor of 2 and are ignored next to explicit sizes.
	for _, f := range []struct {
		name  string
		dst   *bool
		scale int
	}{{"pad_out_h", &o.PadOutH, o.ScaleH}, {"pad_out_w", &o.PadOutW, o.ScaleW}} {
		v := u.Field(f.name)
		if v == nil {
			continue
		}
		on, err := v.Bool()
		if err != nil {
			return nil, d.fail(blk+"."+f.name, "%v", err)
		}
		if on && !explicit {
			if f.scale != 2 {
				return nil, d.fail(blk+"."+f.name, "output padding compensation requires a scale of 2, got %d", f.scale)
			}
			*f.dst = true
		}
	}
	if len(d.l.Bottom) != 2 {
		return o, nil
	}
	if !(explicit || !hasScale && hasSH && hasSW || !hasSH && !hasSW) {
		return nil, d.fail(blk, "upsample_h and upsample_w are required, else scale OR scale_h and scale_w")
	}
	if explicit {
		if o.UpsampleH <= 1 || o.UpsampleW <= 1 {
			return nil, d.fail(blk+".upsample_h", "upsample_h and upsample_w must be greater than 1, got %d and %d", o.UpsampleH, o.UpsampleW)
		}
		return o, nil
	}
	if o.ScaleH <= 1 || o.ScaleW <= 1 {
		return nil, d.fail(blk+".scale", "scale factors must be greater than 1, got %d x %d", o.ScaleH, o.ScaleW)
	}
	return o, nil
}

// decodeShuffleChannel reads shuffle_channel_param { group } (default 1).
func decodeShuffleChannel(d *layerDecoder) (graph.Op, error) {
	const blk = "shuffle_channel_param"
	u, err := d.forkParam(blk)
	if err != nil {
		return nil, err
	}
	g, _, err := d.forkInt(u, blk, "group", 1, 1, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	return &graph.ShuffleChannel{Group: g}, nil
}
