package caffe

import (
	"fmt"

	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// v1TypeNames maps the V1 layer enum to the V2 type strings, as Caffe's
// UpgradeV1LayerType does (NONE becomes the empty type).
var v1TypeNames = map[caffepb.V1LayerParameter_LayerType]string{
	caffepb.V1LayerParameter_NONE:                       "",
	caffepb.V1LayerParameter_ABSVAL:                     "AbsVal",
	caffepb.V1LayerParameter_ACCURACY:                   "Accuracy",
	caffepb.V1LayerParameter_ARGMAX:                     "ArgMax",
	caffepb.V1LayerParameter_BNLL:                       "BNLL",
	caffepb.V1LayerParameter_CONCAT:                     "Concat",
	caffepb.V1LayerParameter_CONTRASTIVE_LOSS:           "ContrastiveLoss",
	caffepb.V1LayerParameter_CONVOLUTION:                "Convolution",
	caffepb.V1LayerParameter_DECONVOLUTION:              "Deconvolution",
	caffepb.V1LayerParameter_DATA:                       "Data",
	caffepb.V1LayerParameter_DROPOUT:                    "Dropout",
	caffepb.V1LayerParameter_DUMMY_DATA:                 "DummyData",
	caffepb.V1LayerParameter_EUCLIDEAN_LOSS:             "EuclideanLoss",
	caffepb.V1LayerParameter_ELTWISE:                    "Eltwise",
	caffepb.V1LayerParameter_EXP:                        "Exp",
	caffepb.V1LayerParameter_FLATTEN:                    "Flatten",
	caffepb.V1LayerParameter_HDF5_DATA:                  "HDF5Data",
	caffepb.V1LayerParameter_HDF5_OUTPUT:                "HDF5Output",
	caffepb.V1LayerParameter_HINGE_LOSS:                 "HingeLoss",
	caffepb.V1LayerParameter_IM2COL:                     "Im2col",
	caffepb.V1LayerParameter_IMAGE_DATA:                 "ImageData",
	caffepb.V1LayerParameter_INFOGAIN_LOSS:              "InfogainLoss",
	caffepb.V1LayerParameter_INNER_PRODUCT:              "InnerProduct",
	caffepb.V1LayerParameter_LRN:                        "LRN",
	caffepb.V1LayerParameter_MEMORY_DATA:                "MemoryData",
	caffepb.V1LayerParameter_MULTINOMIAL_LOGISTIC_LOSS:  "MultinomialLogisticLoss",
	caffepb.V1LayerParameter_MVN:                        "MVN",
	caffepb.V1LayerParameter_POOLING:                    "Pooling",
	caffepb.V1LayerParameter_POWER:                      "Power",
	caffepb.V1LayerParameter_RELU:                       "ReLU",
	caffepb.V1LayerParameter_SIGMOID:                    "Sigmoid",
	caffepb.V1LayerParameter_SIGMOID_CROSS_ENTROPY_LOSS: "SigmoidCrossEntropyLoss",
	caffepb.V1LayerParameter_SILENCE:                    "Silence",
	caffepb.V1LayerParameter_SOFTMAX:                    "Softmax",
	caffepb.V1LayerParameter_SOFTMAX_LOSS:               "SoftmaxWithLoss",
	caffepb.V1LayerParameter_SPLIT:                      "Split",
	caffepb.V1LayerParameter_SLICE:                      "Slice",
	caffepb.V1LayerParameter_TANH:                       "TanH",
	caffepb.V1LayerParameter_WINDOW_DATA:                "WindowData",
	caffepb.V1LayerParameter_THRESHOLD:                  "Threshold",
}

// upgradeV1Net replaces the V1 `layers` list by V2 `layer` entries. As in
// Caffe, `layer` entries that already exist are dropped (with a note).
func upgradeV1Net(net *caffepb.NetParameter, res *TextResult) (notes []string, err error) {
	if len(net.Layer) > 0 {
		notes = append(notes, fmt.Sprintf("the net mixes V1 'layers' with %d V2 'layer' entries; as in Caffe the 'layer' entries are dropped by the V1 upgrade", len(net.Layer)))
	}
	out := make([]*caffepb.LayerParameter, 0, len(net.Layers))
	for i, v1 := range net.Layers {
		l, n, err := upgradeV1Layer(v1)
		for _, s := range n {
			notes = append(notes, fmt.Sprintf("V1 layer %d (%q): %s", i, v1.GetName(), s))
		}
		if err != nil {
			return notes, fmt.Errorf("upgrade: V1 layer %d (%q): %w", i, v1.GetName(), err)
		}
		res.MoveUnknown(v1, l)
		if l.Type == nil {
			adoptUnknownType(l, res)
		}
		out = append(out, l)
	}
	net.Layers = nil
	net.Layer = out
	return notes, nil
}

func upgradeV1Layer(v1 *caffepb.V1LayerParameter) (*caffepb.LayerParameter, []string, error) {
	var notes []string
	l := &caffepb.LayerParameter{
		Bottom: append([]string(nil), v1.Bottom...),
		Top:    append([]string(nil), v1.Top...),
		Name:   v1.Name,
	}
	l.Include = v1.Include
	l.Exclude = v1.Exclude
	if v1.Type != nil {
		name, ok := v1TypeNames[*v1.Type]
		if !ok {
			return nil, notes, fmt.Errorf("unknown V1LayerParameter layer type %d", int32(*v1.Type))
		}
		l.Type = proto.String(name)
	}
	l.Blobs = v1.Blobs
	param := func(i int) *caffepb.ParamSpec {
		for len(l.Param) <= i {
			l.Param = append(l.Param, &caffepb.ParamSpec{})
		}
		return l.Param[i]
	}
	for i, name := range v1.Param {
		param(i).Name = proto.String(name)
	}
	for i, m := range v1.BlobShareMode {
		switch m {
		case caffepb.V1LayerParameter_STRICT:
			param(i).ShareMode = caffepb.ParamSpec_STRICT.Enum()
		case caffepb.V1LayerParameter_PERMISSIVE:
			param(i).ShareMode = caffepb.ParamSpec_PERMISSIVE.Enum()
		default:
			return nil, notes, fmt.Errorf("unknown blob_share_mode %d", int32(m))
		}
	}
	for i, lr := range v1.BlobsLr {
		param(i).LrMult = proto.Float32(lr)
	}
	for i, d := range v1.WeightDecay {
		param(i).DecayMult = proto.Float32(d)
	}
	l.LossWeight = append([]float32(nil), v1.LossWeight...)
	copyLayerParams(v1, l)
	if v1.Layer != nil {
		notes = append(notes, "has a V0 layer, which the V1 upgrade ignores")
	}
	return l, notes, nil
}

// copyLayerParams moves every *_param message of a V1 layer into the
// LayerParameter field of the same name. The V1 and V2 schemas share these
// names (and message types), which is how Caffe's field-by-field copy lines
// them up. The messages are moved, not copied: the V1 layer is discarded and
// the text parser's record of skipped fork fields is keyed by instance.
func copyLayerParams(v1 *caffepb.V1LayerParameter, l *caffepb.LayerParameter) {
	src := v1.ProtoReflect()
	dst := l.ProtoReflect()
	dstFields := dst.Descriptor().Fields()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.Name() == "layer" {
			return true
		}
		to := dstFields.ByName(fd.Name())
		if to == nil || to.Message() == nil || to.Message().FullName() != fd.Message().FullName() {
			return true
		}
		dst.Set(to, v)
		return true
	})
}

// adoptUnknownType gives a V1 layer whose enum type our schema lacks (a
// fork's `type: BN`, skipped by the parser with a warning) that name as its
// V2 type string, so the layer stays identifiable and is written back as
// valid V2 text.
func adoptUnknownType(l *caffepb.LayerParameter, res *TextResult) {
	if res == nil {
		return
	}
	k := KeyOf(l)
	us := res.Unknown[k]
	for i, u := range us {
		if u.Name == "type" && !u.Message {
			l.Type = proto.String(u.Value)
			res.Unknown[k] = append(us[:i:i], us[i+1:]...)
			return
		}
	}
}
