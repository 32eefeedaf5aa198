package caffe

import (
	"fmt"

	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// v0Types maps V0 type strings to the V1 enum (Caffe's UpgradeV0LayerType).
var v0Types = map[string]caffepb.V1LayerParameter_LayerType{
	"accuracy":                  caffepb.V1LayerParameter_ACCURACY,
	"bnll":                      caffepb.V1LayerParameter_BNLL,
	"concat":                    caffepb.V1LayerParameter_CONCAT,
	"conv":                      caffepb.V1LayerParameter_CONVOLUTION,
	"data":                      caffepb.V1LayerParameter_DATA,
	"dropout":                   caffepb.V1LayerParameter_DROPOUT,
	"euclidean_loss":            caffepb.V1LayerParameter_EUCLIDEAN_LOSS,
	"flatten":                   caffepb.V1LayerParameter_FLATTEN,
	"hdf5_data":                 caffepb.V1LayerParameter_HDF5_DATA,
	"hdf5_output":               caffepb.V1LayerParameter_HDF5_OUTPUT,
	"im2col":                    caffepb.V1LayerParameter_IM2COL,
	"images":                    caffepb.V1LayerParameter_IMAGE_DATA,
	"infogain_loss":             caffepb.V1LayerParameter_INFOGAIN_LOSS,
	"innerproduct":              caffepb.V1LayerParameter_INNER_PRODUCT,
	"lrn":                       caffepb.V1LayerParameter_LRN,
	"multinomial_logistic_loss": caffepb.V1LayerParameter_MULTINOMIAL_LOGISTIC_LOSS,
	"pool":                      caffepb.V1LayerParameter_POOLING,
	"relu":                      caffepb.V1LayerParameter_RELU,
	"sigmoid":                   caffepb.V1LayerParameter_SIGMOID,
	"softmax":                   caffepb.V1LayerParameter_SOFTMAX,
	"softmax_loss":              caffepb.V1LayerParameter_SOFTMAX_LOSS,
	"split":                     caffepb.V1LayerParameter_SPLIT,
	"tanh":                      caffepb.V1LayerParameter_TANH,
	"window_data":               caffepb.V1LayerParameter_WINDOW_DATA,
}

// upgradeV0Net is Caffe's UpgradeV0Net: fold "padding" layers into the
// following conv/pool, then rebuild every entry as a V1 layer. Only name,
// the layers, input, input_dim and force_backward survive, as in Caffe.
func upgradeV0Net(net *caffepb.NetParameter, res *TextResult) (notes []string, err error) {
	padded, err := foldV0Padding(net)
	if err != nil {
		return nil, err
	}
	layers := make([]*caffepb.V1LayerParameter, 0, len(padded))
	for i, l := range padded {
		v1, n, err := upgradeV0Layer(l)
		name := l.GetLayer().GetName()
		for _, s := range n {
			notes = append(notes, fmt.Sprintf("V0 layer %d (%q): %s", i, name, s))
		}
		if err != nil {
			return notes, fmt.Errorf("upgrade: V0 layer %d (%q): %w", i, name, err)
		}
		res.MoveUnknown(l, v1)
		if l.Layer != nil {
			res.MoveUnknown(l.Layer, v1)
		}
		layers = append(layers, v1)
	}
	out := &caffepb.NetParameter{
		Name:     net.Name,
		Layers:   layers,
		Input:    net.Input,
		InputDim: net.InputDim,
	}
	if net.ForceBackward != nil {
		out.ForceBackward = proto.Bool(net.GetForceBackward())
	}
	// Replace the contents in place; the fields moved over are not copied.
	proto.Reset(net)
	net.Name, net.Layers, net.Input, net.InputDim, net.ForceBackward = out.Name, out.Layers, out.Input, out.InputDim, out.ForceBackward
	return notes, nil
}

// foldV0Padding drops V0 "padding" layers, moving their pad into the conv or
// pool layer that reads their output (Caffe's UpgradeV0PaddingLayers).
func foldV0Padding(net *caffepb.NetParameter) ([]*caffepb.V1LayerParameter, error) {
	lastTop := map[string]int{} // blob → index of the layer that last wrote it (-1: net input)
	for _, in := range net.Input {
		lastTop[in] = -1
	}
	var out []*caffepb.V1LayerParameter
	for i, conn := range net.Layers {
		v0 := conn.GetLayer()
		if v0.GetType() != "padding" {
			// Kept by pointer: the original list is discarded after the
			// upgrade, and only padding layers (never modified) are read back.
			out = append(out, conn)
		}
		for j, blob := range conn.Bottom {
			src, ok := lastTop[blob]
			if !ok {
				return nil, fmt.Errorf("upgrade: unknown blob input %q to V0 layer %d (%q)", blob, i, v0.GetName())
			}
			if src == -1 {
				continue
			}
			pad := net.Layers[src]
			if pad.GetLayer().GetType() != "padding" {
				continue
			}
			if t := v0.GetType(); t != "conv" && t != "pool" {
				return nil, fmt.Errorf("upgrade: padding layer %q feeds V0 layer %q of type %q; only conv and pool layers can take padding",
					pad.GetLayer().GetName(), v0.GetName(), t)
			}
			if len(conn.Bottom) != 1 {
				return nil, fmt.Errorf("upgrade: V0 layer %q takes padding input but has %d bottoms (want 1)", v0.GetName(), len(conn.Bottom))
			}
			if len(pad.Bottom) != 1 || len(pad.Top) != 1 {
				return nil, fmt.Errorf("upgrade: padding layer %q must have one bottom and one top (has %d and %d)",
					pad.GetLayer().GetName(), len(pad.Bottom), len(pad.Top))
			}
			cur := out[len(out)-1]
			if cur.Layer == nil {
				cur.Layer = &caffepb.V0LayerParameter{}
			}
			cur.Layer.Pad = proto.Uint32(pad.GetLayer().GetPad())
			cur.Bottom[j] = pad.Bottom[0]
		}
		for _, t := range conn.Top {
			lastTop[t] = i
		}
	}
	return out, nil
}

// upgradeV0Layer converts one V0 layer (nested in a V1 entry) into a V1
// layer. Fields that do not apply to the layer's type are dropped with a
// note, as Caffe logs them and carries on.
func upgradeV0Layer(conn *caffepb.V1LayerParameter) (*caffepb.V1LayerParameter, []string, error) {
	var notes []string
	l := &caffepb.V1LayerParameter{
		Bottom: append([]string(nil), conn.Bottom...),
		Top:    append([]string(nil), conn.Top...),
	}
	v0 := conn.Layer
	if v0 == nil {
		return l, notes, nil
	}
	bad := func(field string) {
		notes = append(notes, fmt.Sprintf("parameter %s does not apply to layer type %q; dropped", field, v0.GetType()))
	}
	l.Name = v0.Name
	typ := v0.GetType()
	if v0.Type != nil {
		t, ok := v0Types[typ]
		if !ok {
			return nil, notes, fmt.Errorf("unknown V0 layer type %q", typ)
		}
		l.Type = t.Enum()
	}
	l.Blobs = v0.Blobs
	l.BlobsLr = append([]float32(nil), v0.BlobsLr...)
	l.WeightDecay = append([]float32(nil), v0.WeightDecay...)

	conv := func() *caffepb.ConvolutionParameter {
		if l.ConvolutionParam == nil {
			l.ConvolutionParam = &caffepb.ConvolutionParameter{}
		}
		return l.ConvolutionParam
	}
	ip := func() *caffepb.InnerProductParameter {
		if l.InnerProductParam == nil {
			l.InnerProductParam = &caffepb.InnerProductParameter{}
		}
		return l.InnerProductParam
	}
	pool := func() *caffepb.PoolingParameter {
		if l.PoolingParam == nil {
			l.PoolingParam = &caffepb.PoolingParameter{}
		}
		return l.PoolingParam
	}
	lrn := func() *caffepb.LRNParameter {
		if l.LrnParam == nil {
			l.LrnParam = &caffepb.LRNParameter{}
		}
		return l.LrnParam
	}
	data := func() *caffepb.DataParameter {
		if l.DataParam == nil {
			l.DataParam = &caffepb.DataParameter{}
		}
		return l.DataParam
	}
	hdf5 := func() *caffepb.HDF5DataParameter {
		if l.Hdf5DataParam == nil {
			l.Hdf5DataParam = &caffepb.HDF5DataParameter{}
		}
		return l.Hdf5DataParam
	}
	images := func() *caffepb.ImageDataParameter {
		if l.ImageDataParam == nil {
			l.ImageDataParam = &caffepb.ImageDataParameter{}
		}
		return l.ImageDataParam
	}
	window := func() *caffepb.WindowDataParameter {
		if l.WindowDataParam == nil {
			l.WindowDataParam = &caffepb.WindowDataParameter{}
		}
		return l.WindowDataParam
	}
	transform := func() *caffepb.TransformationParameter {
		if l.TransformParam == nil {
			l.TransformParam = &caffepb.TransformationParameter{}
		}
		return l.TransformParam
	}

	if v0.NumOutput != nil {
		switch typ {
		case "conv":
			conv().NumOutput = proto.Uint32(*v0.NumOutput)
		case "innerproduct":
			ip().NumOutput = proto.Uint32(*v0.NumOutput)
		default:
			bad("num_output")
		}
	}
	if v0.Biasterm != nil {
		switch typ {
		case "conv":
			conv().BiasTerm = proto.Bool(*v0.Biasterm)
		case "innerproduct":
			ip().BiasTerm = proto.Bool(*v0.Biasterm)
		default:
			bad("biasterm")
		}
	}
	if v0.WeightFiller != nil {
		switch typ {
		case "conv":
			conv().WeightFiller = v0.WeightFiller
		case "innerproduct":
			ip().WeightFiller = v0.WeightFiller
		default:
			bad("weight_filler")
		}
	}
	if v0.BiasFiller != nil {
		switch typ {
		case "conv":
			conv().BiasFiller = v0.BiasFiller
		case "innerproduct":
			ip().BiasFiller = v0.BiasFiller
		default:
			bad("bias_filler")
		}
	}
	if v0.Pad != nil {
		switch typ {
		case "conv":
			c := conv()
			c.Pad = append(c.Pad, *v0.Pad)
		case "pool":
			pool().Pad = proto.Uint32(*v0.Pad)
		default:
			bad("pad")
		}
	}
	if v0.Kernelsize != nil {
		switch typ {
		case "conv":
			c := conv()
			c.KernelSize = append(c.KernelSize, *v0.Kernelsize)
		case "pool":
			pool().KernelSize = proto.Uint32(*v0.Kernelsize)
		default:
			bad("kernelsize")
		}
	}
	if v0.Group != nil {
		if typ == "conv" {
			conv().Group = proto.Uint32(*v0.Group)
		} else {
			bad("group")
		}
	}
	if v0.Stride != nil {
		switch typ {
		case "conv":
			c := conv()
			c.Stride = append(c.Stride, *v0.Stride)
		case "pool":
			pool().Stride = proto.Uint32(*v0.Stride)
		default:
			bad("stride")
		}
	}
	if v0.Pool != nil {
		if typ == "pool" {
			switch *v0.Pool {
			case caffepb.V0LayerParameter_MAX:
				pool().Pool = caffepb.PoolingParameter_MAX.Enum()
			case caffepb.V0LayerParameter_AVE:
				pool().Pool = caffepb.PoolingParameter_AVE.Enum()
			case caffepb.V0LayerParameter_STOCHASTIC:
				pool().Pool = caffepb.PoolingParameter_STOCHASTIC.Enum()
			default:
				notes = append(notes, fmt.Sprintf("unknown pool method %d; dropped", int32(*v0.Pool)))
			}
		} else {
			bad("pool")
		}
	}
	if v0.DropoutRatio != nil {
		if typ == "dropout" {
			l.DropoutParam = &caffepb.DropoutParameter{DropoutRatio: proto.Float32(*v0.DropoutRatio)}
		} else {
			bad("dropout_ratio")
		}
	}
	if v0.LocalSize != nil {
		if typ == "lrn" {
			lrn().LocalSize = proto.Uint32(*v0.LocalSize)
		} else {
			bad("local_size")
		}
	}
	if v0.Alpha != nil {
		if typ == "lrn" {
			lrn().Alpha = proto.Float32(*v0.Alpha)
		} else {
			bad("alpha")
		}
	}
	if v0.Beta != nil {
		if typ == "lrn" {
			lrn().Beta = proto.Float32(*v0.Beta)
		} else {
			bad("beta")
		}
	}
	if v0.K != nil {
		if typ == "lrn" {
			lrn().K = proto.Float32(*v0.K)
		} else {
			bad("k")
		}
	}
	if v0.Source != nil {
		s := proto.String(*v0.Source)
		switch typ {
		case "data":
			data().Source = s
		case "hdf5_data":
			hdf5().Source = s
		case "images":
			images().Source = s
		case "window_data":
			window().Source = s
		case "infogain_loss":
			l.InfogainLossParam = &caffepb.InfogainLossParameter{Source: s}
		default:
			bad("source")
		}
	}
	if v0.Scale != nil {
		transform().Scale = proto.Float32(*v0.Scale)
	}
	if v0.Meanfile != nil {
		transform().MeanFile = proto.String(*v0.Meanfile)
	}
	if v0.Batchsize != nil {
		b := proto.Uint32(*v0.Batchsize)
		switch typ {
		case "data":
			data().BatchSize = b
		case "hdf5_data":
			hdf5().BatchSize = b
		case "images":
			images().BatchSize = b
		case "window_data":
			window().BatchSize = b
		default:
			bad("batchsize")
		}
	}
	if v0.Cropsize != nil {
		transform().CropSize = proto.Uint32(*v0.Cropsize)
	}
	if v0.Mirror != nil {
		transform().Mirror = proto.Bool(*v0.Mirror)
	}
	if v0.RandSkip != nil {
		switch typ {
		case "data":
			data().RandSkip = proto.Uint32(*v0.RandSkip)
		case "images":
			images().RandSkip = proto.Uint32(*v0.RandSkip)
		default:
			bad("rand_skip")
		}
	}
	if v0.ShuffleImages != nil {
		if typ == "images" {
			images().Shuffle = proto.Bool(*v0.ShuffleImages)
		} else {
			bad("shuffle")
		}
	}
	if v0.NewHeight != nil {
		if typ == "images" {
			images().NewHeight = proto.Uint32(uint32(*v0.NewHeight))
		} else {
			bad("new_height")
		}
	}
	if v0.NewWidth != nil {
		if typ == "images" {
			images().NewWidth = proto.Uint32(uint32(*v0.NewWidth))
		} else {
			bad("new_width")
		}
	}
	if v0.ConcatDim != nil {
		if typ == "concat" {
			l.ConcatParam = &caffepb.ConcatParameter{ConcatDim: proto.Uint32(*v0.ConcatDim)}
		} else {
			bad("concat_dim")
		}
	}
	if v0.DetFgThreshold != nil {
		if typ == "window_data" {
			window().FgThreshold = proto.Float32(*v0.DetFgThreshold)
		} else {
			bad("det_fg_threshold")
		}
	}
	if v0.DetBgThreshold != nil {
		if typ == "window_data" {
			window().BgThreshold = proto.Float32(*v0.DetBgThreshold)
		} else {
			bad("det_bg_threshold")
		}
	}
	if v0.DetFgFraction != nil {
		if typ == "window_data" {
			window().FgFraction = proto.Float32(*v0.DetFgFraction)
		} else {
			bad("det_fg_fraction")
		}
	}
	if v0.DetContextPad != nil {
		if typ == "window_data" {
			window().ContextPad = proto.Uint32(*v0.DetContextPad)
		} else {
			bad("det_context_pad")
		}
	}
	if v0.DetCropMode != nil {
		if typ == "window_data" {
			window().CropMode = proto.String(*v0.DetCropMode)
		} else {
			bad("det_crop_mode")
		}
	}
	if v0.Hdf5OutputParam != nil {
		if typ == "hdf5_output" {
			l.Hdf5OutputParam = v0.Hdf5OutputParam
		} else {
			bad("hdf5_output_param")
		}
	}
	return l, notes, nil
}
