package caffe

import (
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// Activations, element-wise math and Eltwise.

func decodeReLU(d *layerDecoder) (graph.Op, error) {
	return &graph.ReLU{NegativeSlope: d.l.GetReluParam().GetNegativeSlope()}, nil
}

// decodePReLU: without a filler the slopes start at 0.25 (PReLULayer).
func decodePReLU(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetPreluParam()
	return &graph.PReLU{
		ChannelShared: p.GetChannelShared(),
		Filler:        filler(p.GetFiller(), constFiller(0.25)),
	}, nil
}

func decodeELU(d *layerDecoder) (graph.Op, error) {
	return &graph.ELU{Alpha: d.l.GetEluParam().GetAlpha()}, nil
}

func decodePower(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetPowerParam()
	return &graph.Power{Power: p.GetPower(), Scale: p.GetScale(), Shift: p.GetShift()}, nil
}

// checkBase: Exp and Log accept a positive base or -1 (meaning e).
func (d *layerDecoder) checkBase(field string, base float32) error {
	if base != -1 && !(base > 0) {
		return d.fail(field, "base must be strictly positive (or -1 for e), got %g", base)
	}
	return nil
}

func decodeExp(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetExpParam()
	o := &graph.Exp{Base: p.GetBase(), Scale: p.GetScale(), Shift: p.GetShift()}
	if err := d.checkBase("exp_param.base", o.Base); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeLog(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetLogParam()
	o := &graph.Log{Base: p.GetBase(), Scale: p.GetScale(), Shift: p.GetShift()}
	if err := d.checkBase("log_param.base", o.Base); err != nil {
		return nil, err
	}
	return o, nil
}

func decodeThreshold(d *layerDecoder) (graph.Op, error) {
	return &graph.Threshold{Threshold: d.l.GetThresholdParam().GetThreshold()}, nil
}

func decodeSwish(d *layerDecoder) (graph.Op, error) {
	return &graph.Swish{Beta: d.l.GetSwishParam().GetBeta()}, nil
}

// decodeClip: min and max are required in Caffe's schema.
func decodeClip(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetClipParam()
	if p == nil || p.Min == nil {
		return nil, d.fail("clip_param.min", "is required")
	}
	if p.Max == nil {
		return nil, d.fail("clip_param.max", "is required")
	}
	return &graph.Clip{Min: p.GetMin(), Max: p.GetMax()}, nil
}

// decodeDropout: BVLC Dropout scales by 1/(1-ratio) while training and is
// the identity at test time; the ratio must lie strictly inside (0, 1).
func decodeDropout(d *layerDecoder) (graph.Op, error) {
	r := d.l.GetDropoutParam().GetDropoutRatio()
	if !(r > 0 && r < 1) {
		return nil, d.fail("dropout_param.dropout_ratio", "must be in (0, 1), got %g", r)
	}
	return &graph.Dropout{Ratio: r, ScaleTrain: true}, nil
}

// decodeEltwise: one coefficient per bottom, and only for SUM.
func decodeEltwise(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetEltwiseParam()
	o := &graph.Eltwise{Coeff: append([]float32(nil), p.GetCoeff()...)}
	switch p.GetOperation() {
	case caffepb.EltwiseParameter_PROD:
		o.Operation = graph.EltwiseProd
	case caffepb.EltwiseParameter_MAX:
		o.Operation = graph.EltwiseMax
	default:
		o.Operation = graph.EltwiseSum
	}
	if n := len(o.Coeff); n != 0 && n != len(d.l.Bottom) {
		return nil, d.fail("eltwise_param.coeff", "takes one coefficient per bottom blob: %d coefficients for %d bottoms", n, len(d.l.Bottom))
	}
	if o.Operation == graph.EltwiseProd && len(o.Coeff) > 0 {
		return nil, d.fail("eltwise_param.coeff", "coefficients are only taken for SUM, not PROD")
	}
	return o, nil
}
