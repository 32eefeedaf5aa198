package caffe

import (
	"fmt"
	"strings"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// layerDecoder holds one layer being decoded and what it needs besides its
// LayerParameter: the phase it runs in and the text parser's record of
// skipped fork fields (nil for a binary or programmatically built net).
type layerDecoder struct {
	l     *caffepb.LayerParameter
	typ   string
	phase caffepb.Phase
	res   *TextResult
}

type decodeFunc func(d *layerDecoder) (graph.Op, error)

// decoders maps Caffe type strings (fork aliases included) to decoders.
// Filled in init to break the initialization cycle with the functions.
var decoders map[string]decodeFunc

func init() {
	decoders = map[string]decodeFunc{
		// inputs and data layers
		"Input":         decodeInput,
		"Parameter":     decodeParameter,
		"Data":          decodeData,
		"ImageData":     decodeImageData,
		"MemoryData":    decodeMemoryData,
		"DummyData":     decodeDummyData,
		"HDF5Data":      decodeHDF5Data,
		"WindowData":    decodeWindowData,
		"AnnotatedData": decodeAnnotatedData,
		"Python":        decodePython,
		// vision
		"Convolution":          decodeConv,
		"Deconvolution":        decodeConv,
		"ConvolutionDepthwise": decodeConv,
		"DepthwiseConvolution": decodeConv,
		"Im2col":               decodeIm2col,
		"Pooling":              decodePool,
		"SPP":                  decodeSPP,
		"InnerProduct":         decodeInnerProduct,
		"Embed":                decodeEmbed,
		"LRN":                  decodeLRN,
		"MVN":                  decodeMVN,
		"BatchNorm":            decodeBatchNorm,
		"Scale":                decodeScale,
		"Bias":                 decodeBias,
		// activations and element-wise math
		"ReLU":      decodeReLU,
		"PReLU":     decodePReLU,
		"ELU":       decodeELU,
		"Sigmoid":   simple(func() graph.Op { return &graph.Sigmoid{} }),
		"TanH":      simple(func() graph.Op { return &graph.TanH{} }),
		"AbsVal":    simple(func() graph.Op { return &graph.AbsVal{} }),
		"BNLL":      simple(func() graph.Op { return &graph.BNLL{} }),
		"ReLU6":     simple(func() graph.Op { return &graph.ReLU6{} }),
		"Power":     decodePower,
		"Exp":       decodeExp,
		"Log":       decodeLog,
		"Threshold": decodeThreshold,
		"Swish":     decodeSwish,
		"Clip":      decodeClip,
		"Dropout":   decodeDropout,
		"Eltwise":   decodeEltwise,
		// shape and data movement
		"Softmax":      decodeSoftmax,
		"Concat":       decodeConcat,
		"Slice":        decodeSlice,
		"Split":        simple(func() graph.Op { return &graph.Split{} }),
		"Silence":      simple(func() graph.Op { return &graph.Silence{} }),
		"Flatten":      decodeFlatten,
		"Reshape":      decodeReshape,
		"Crop":         decodeCrop,
		"Tile":         decodeTile,
		"Reduction":    decodeReduction,
		"ArgMax":       decodeArgMax,
		"BatchReindex": simple(func() graph.Op { return &graph.BatchReindex{} }),
		"Filter":       simple(func() graph.Op { return &graph.Filter{} }),
		// training layers
		"Accuracy":   decodeAccuracy,
		"RNN":        decodeRecurrent,
		"LSTM":       decodeRecurrent,
		"LSTMUnit":   simple(func() graph.Op { return &graph.LSTMUnit{} }),
		"HDF5Output": simple(func() graph.Op { return &graph.HDF5Output{} }),
		// forks
		"Permute":         decodePermute,
		"PriorBox":        decodePriorBox,
		"DetectionOutput": decodeDetectionOutput,
		"Normalize":       decodeNormalize,
		"Interp":          decodeInterp,
		"Upsample":        decodeUpsample,
		"ShuffleChannel":  decodeShuffleChannel,
	}
}

func simple(f func() graph.Op) decodeFunc {
	return func(*layerDecoder) (graph.Op, error) { return f(), nil }
}

// DecodeLayer turns one (upgraded) LayerParameter into a typed op with every
// Caffe default resolved. netPhase is the phase of the net; a layer's own
// `phase` field takes precedence, as in Caffe. res is the text parser's
// record of skipped fields (may be nil); fork layers whose parameters our
// schema lacks (Interp, Upsample, ShuffleChannel) read them from there.
//
// An unknown type decodes to graph.Unknown so that the net can still be
// inspected. Errors are *graph.LayerError naming the parameter at fault.
func DecodeLayer(l *caffepb.LayerParameter, netPhase caffepb.Phase, res *TextResult) (graph.Op, error) {
	d := &layerDecoder{l: l, typ: LayerType(l, res), phase: netPhase, res: res}
	if l.Phase != nil {
		d.phase = l.GetPhase()
	}
	f, ok := decoders[d.typ]
	if !ok {
		if strings.HasSuffix(d.typ, "Loss") {
			return &graph.Loss{Kind: d.typ}, nil
		}
		return &graph.Unknown{Kind: d.typ}, nil
	}
	return f(d)
}

// LayerType is the layer's type string. A V1 layer whose enum value our
// schema does not know (e.g. `type: BN` of a fork) has no type after the
// upgrade; the name the parser kept for it is used instead.
func LayerType(l *caffepb.LayerParameter, res *TextResult) string {
	if l.Type != nil {
		return l.GetType()
	}
	if u := res.UnknownField(l, "type"); u != nil && !u.Message {
		return u.Value
	}
	return ""
}

// fail returns a LayerError for this layer about field.
func (d *layerDecoder) fail(field, format string, args ...any) error {
	return &graph.LayerError{Layer: d.l.GetName(), Type: d.typ, Field: field, Err: fmt.Errorf(format, args...)}
}

// unknownIn returns the skipped field name inside sub-message m of the
// layer (nil when m is absent or has no such field).
func (d *layerDecoder) unknownIn(m interface{ ProtoReflect() protoreflect.Message }, name string) *Unknown {
	if m == nil || !m.ProtoReflect().IsValid() {
		return nil
	}
	return d.res.UnknownField(m.ProtoReflect().Interface(), name)
}

// ---- shared conversions ----

// filler resolves a FillerParameter; def applies when the message is absent
// (several layers default to something other than constant 0).
func filler(f *caffepb.FillerParameter, def graph.Filler) graph.Filler {
	if f == nil {
		return def
	}
	out := graph.Filler{
		Type:   f.GetType(),
		Value:  f.GetValue(),
		Min:    f.GetMin(),
		Max:    f.GetMax(),
		Mean:   f.GetMean(),
		Std:    f.GetStd(),
		Sparse: int(f.GetSparse()),
	}
	switch f.GetVarianceNorm() {
	case caffepb.FillerParameter_FAN_OUT:
		out.VarianceNorm = graph.FanOut
	case caffepb.FillerParameter_AVERAGE:
		out.VarianceNorm = graph.Average
	default:
		out.VarianceNorm = graph.FanIn
	}
	return out
}

// constFiller is a constant filler of value v (the default of Scale, PReLU
// and Normalize).
func constFiller(v float32) graph.Filler {
	f := graph.DefaultFiller()
	f.Value = v
	return f
}

func ints32(v []uint32) []int {
	if len(v) == 0 {
		return nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// blobShape converts a BlobShape; nil stays nil (unknown), no dims is a
// scalar. Negative dims are kept for shape inference to reject.
func blobShape(s *caffepb.BlobShape) graph.Shape {
	if s == nil {
		return nil
	}
	out := make(graph.Shape, len(s.Dim))
	for i, d := range s.Dim {
		out[i] = int(d)
	}
	return out
}
