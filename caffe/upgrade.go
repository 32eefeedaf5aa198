package caffe

import (
	"fmt"

	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// UpgradeNet rewrites a NetParameter (text net or caffemodel) in the current
// format, performing the same steps in the same order as Caffe's
// UpgradeNetAsNeeded: V0 layers → V1, data-transformation fields →
// transform_param, V1 `layers` → V2 `layer`, top-level input fields → an
// Input layer, and the BatchNorm param upgrade. Blob contents and dims are
// left untouched (Caffe does not convert legacy blob dims either).
//
// changed reports whether any step ran. notes are the problems Caffe logs as
// errors but continues past ("had one or more problems upgrading"). err is
// set where Caffe aborts (LOG(FATAL)/CHECK), e.g. an unknown V0 layer type.
func UpgradeNet(net *caffepb.NetParameter) (changed bool, notes []string, err error) {
	return upgradeNet(net, nil)
}

// upgradeNet is UpgradeNet for a parsed text net: messages that an upgrade
// replaces hand their skipped fork fields in res over to their replacement,
// and sub-messages are moved rather than copied so their records stay valid.
func upgradeNet(net *caffepb.NetParameter, res *TextResult) (changed bool, notes []string, err error) {
	if net == nil {
		return false, nil, fmt.Errorf("upgrade: nil NetParameter")
	}
	if needsV0ToV1(net) {
		changed = true
		n, err := upgradeV0Net(net, res)
		notes = append(notes, n...)
		if err != nil {
			return changed, notes, err
		}
	}
	if needsDataUpgrade(net) {
		changed = true
		upgradeDataTransformation(net)
	}
	if len(net.Layers) > 0 {
		changed = true
		n, err := upgradeV1Net(net, res)
		notes = append(notes, n...)
		if err != nil {
			return changed, notes, err
		}
	}
	if len(net.Input) > 0 {
		changed = true
		if err := upgradeNetInput(net); err != nil {
			return changed, notes, err
		}
	}
	if needsBatchNormUpgrade(net) {
		changed = true
		upgradeBatchNorm(net)
	}
	return changed, notes, nil
}

// NeedsUpgrade reports whether UpgradeNet would change anything.
func NeedsUpgrade(net *caffepb.NetParameter) bool {
	return needsV0ToV1(net) || needsDataUpgrade(net) || len(net.GetLayers()) > 0 ||
		len(net.GetInput()) > 0 || needsBatchNormUpgrade(net)
}

func needsV0ToV1(net *caffepb.NetParameter) bool {
	for _, l := range net.GetLayers() {
		if l.Layer != nil {
			return true
		}
	}
	return false
}

// ---- data transformation fields ----

// needsDataUpgrade: a V1 data layer still carries scale/mean_file/crop_size/
// mirror inside its own parameter message.
func needsDataUpgrade(net *caffepb.NetParameter) bool {
	for _, l := range net.GetLayers() {
		switch l.GetType() {
		case caffepb.V1LayerParameter_DATA:
			if p := l.DataParam; p != nil && (p.Scale != nil || p.MeanFile != nil || p.CropSize != nil || p.Mirror != nil) {
				return true
			}
		case caffepb.V1LayerParameter_IMAGE_DATA:
			if p := l.ImageDataParam; p != nil && (p.Scale != nil || p.MeanFile != nil || p.CropSize != nil || p.Mirror != nil) {
				return true
			}
		case caffepb.V1LayerParameter_WINDOW_DATA:
			if p := l.WindowDataParam; p != nil && (p.Scale != nil || p.MeanFile != nil || p.CropSize != nil || p.Mirror != nil) {
				return true
			}
		}
	}
	return false
}

// transformFields points at the four legacy fields of one data parameter.
type transformFields struct {
	scale    **float32
	meanFile **string
	cropSize **uint32
	mirror   **bool
}

func upgradeDataTransformation(net *caffepb.NetParameter) {
	for _, l := range net.Layers {
		var f transformFields
		switch l.GetType() {
		case caffepb.V1LayerParameter_DATA:
			if l.DataParam == nil {
				l.DataParam = &caffepb.DataParameter{}
			}
			p := l.DataParam
			f = transformFields{&p.Scale, &p.MeanFile, &p.CropSize, &p.Mirror}
		case caffepb.V1LayerParameter_IMAGE_DATA:
			if l.ImageDataParam == nil {
				l.ImageDataParam = &caffepb.ImageDataParameter{}
			}
			p := l.ImageDataParam
			f = transformFields{&p.Scale, &p.MeanFile, &p.CropSize, &p.Mirror}
		case caffepb.V1LayerParameter_WINDOW_DATA:
			if l.WindowDataParam == nil {
				l.WindowDataParam = &caffepb.WindowDataParameter{}
			}
			p := l.WindowDataParam
			f = transformFields{&p.Scale, &p.MeanFile, &p.CropSize, &p.Mirror}
		default:
			continue
		}
		// Caffe calls mutable_transform_param() for every data layer of
		// these kinds, so the (possibly empty) message becomes present.
		if l.TransformParam == nil {
			l.TransformParam = &caffepb.TransformationParameter{}
		}
		t := l.TransformParam
		if *f.scale != nil {
			t.Scale, *f.scale = *f.scale, nil
		}
		if *f.meanFile != nil {
			t.MeanFile, *f.meanFile = *f.meanFile, nil
		}
		if *f.cropSize != nil {
			t.CropSize, *f.cropSize = *f.cropSize, nil
		}
		if *f.mirror != nil {
			t.Mirror, *f.mirror = *f.mirror, nil
		}
	}
}

// ---- top-level inputs ----

// upgradeNetInput turns input/input_shape/input_dim into a layer named
// "input" of type Input placed first. A net with inputs but neither shapes
// nor dims is a legacy caffemodel: the fields are simply dropped.
func upgradeNetInput(net *caffepb.NetParameter) error {
	hasShape := len(net.InputShape) > 0
	hasDim := len(net.InputDim) > 0
	if hasShape || hasDim {
		ip := &caffepb.InputParameter{}
		l := &caffepb.LayerParameter{
			Name:       proto.String("input"),
			Type:       proto.String("Input"),
			InputParam: ip,
		}
		for i, name := range net.Input {
			l.Top = append(l.Top, name)
			if hasShape {
				if i >= len(net.InputShape) {
					return fmt.Errorf("upgrade: input %q (#%d) has no input_shape (%d input_shape for %d inputs)",
						name, i, len(net.InputShape), len(net.Input))
				}
				ip.Shape = append(ip.Shape, net.InputShape[i])
				continue
			}
			if 4*i+4 > len(net.InputDim) {
				return fmt.Errorf("upgrade: input %q (#%d) needs input_dim %d..%d but only %d input_dim are given (4 per input)",
					name, i, 4*i, 4*i+3, len(net.InputDim))
			}
			s := &caffepb.BlobShape{}
			for _, d := range net.InputDim[4*i : 4*i+4] {
				s.Dim = append(s.Dim, int64(d))
			}
			ip.Shape = append(ip.Shape, s)
		}
		net.Layer = append([]*caffepb.LayerParameter{l}, net.Layer...)
	}
	net.Input = nil
	net.InputShape = nil
	net.InputDim = nil
	return nil
}

// ---- BatchNorm ----

// needsBatchNormUpgrade: old BatchNorm definitions declared their three
// statistics blobs as params; Caffe now fixes them with lr_mult 0 itself.
func needsBatchNormUpgrade(net *caffepb.NetParameter) bool {
	for _, l := range net.GetLayer() {
		if l.GetType() == "BatchNorm" && len(l.Param) == 3 {
			return true
		}
	}
	return false
}

// upgradeBatchNorm zeroes lr_mult and decay_mult of every param of a
// BatchNorm layer with exactly three param entries, leaving the rest (names,
// share modes) as they are.
func upgradeBatchNorm(net *caffepb.NetParameter) {
	for _, l := range net.Layer {
		if l.GetType() == "BatchNorm" && len(l.Param) == 3 {
			for i, p := range l.Param {
				if p == nil {
					p = &caffepb.ParamSpec{}
					l.Param[i] = p
				}
				p.LrMult = proto.Float32(0)
				p.DecayMult = proto.Float32(0)
			}
		}
	}
}
