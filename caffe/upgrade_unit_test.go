package caffe

import (
	"strings"
	"testing"

	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// upgradeString parses, upgrades and returns the upgraded net.
func upgradeString(t *testing.T, text string) (*caffepb.NetParameter, []string, error) {
	t.Helper()
	net, res := parseNetString(t, text)
	_, notes, err := upgradeNet(net, res)
	return net, notes, err
}

func mustEqualNet(t *testing.T, got *caffepb.NetParameter, want string) {
	t.Helper()
	w, _ := parseNetString(t, want)
	if !proto.Equal(got, w) {
		t.Fatalf("got\n%s\nwant\n%s", MarshalText(got, nil), MarshalText(w, nil))
	}
}

func TestUpgradeV0PaddingFolded(t *testing.T) {
	got, notes, err := upgradeString(t, `
name: "pad"
input: "data"
input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
layers { layer { name: "pad1" type: "padding" pad: 2 } bottom: "data" top: "pad1" }
layers { layer { name: "conv1" type: "conv" num_output: 4 kernelsize: 3 biasterm: false } bottom: "pad1" top: "conv1" }
layers { layer { name: "pad2" type: "padding" pad: 1 } bottom: "conv1" top: "pad2" }
layers { layer { name: "pool1" type: "pool" pool: AVE kernelsize: 3 stride: 2 } bottom: "pad2" top: "pool1" }
layers { layer { name: "drop" type: "dropout" dropout_ratio: 0.25 num_output: 3 } bottom: "pool1" top: "pool1" }
`)
	if err != nil {
		t.Fatal(err)
	}
	// num_output on a dropout layer does not apply: dropped with a note,
	// as Caffe logs it and continues.
	if len(notes) != 1 || !strings.Contains(notes[0], "num_output") {
		t.Errorf("notes = %q, want one about num_output", notes)
	}
	mustEqualNet(t, got, `
name: "pad"
layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 4 bias_term: false pad: 2 kernel_size: 3 } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
  pooling_param { pool: AVE pad: 1 kernel_size: 3 stride: 2 } }
layer { name: "drop" type: "Dropout" bottom: "pool1" top: "pool1" dropout_param { dropout_ratio: 0.25 } }
`)
}

func TestUpgradeV0Errors(t *testing.T) {
	for name, text := range map[string]string{
		"unknown type": `layers { layer { name: "x" type: "fancy" } top: "x" }`,
		"unknown blob": `layers { layer { name: "x" type: "relu" } bottom: "nowhere" top: "x" }`,
		"padding into relu": `input: "d" input_dim: 1 input_dim: 1 input_dim: 1 input_dim: 1
layers { layer { name: "p" type: "padding" pad: 1 } bottom: "d" top: "p" }
layers { layer { name: "r" type: "relu" } bottom: "p" top: "r" }`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := upgradeString(t, text); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// Old data layers kept scale/crop/mirror/mean inside their own parameter.
func TestUpgradeDataTransformation(t *testing.T) {
	got, _, err := upgradeString(t, `
layers { name: "d" type: DATA top: "data" top: "label"
  data_param { source: "db" batch_size: 8 scale: 0.5 crop_size: 27 mirror: true mean_file: "m" } }
layers { name: "w" type: WINDOW_DATA top: "w" top: "wl" window_data_param { source: "win" } }
`)
	if err != nil {
		t.Fatal(err)
	}
	mustEqualNet(t, got, `
layer { name: "d" type: "Data" top: "data" top: "label"
  transform_param { scale: 0.5 mirror: true crop_size: 27 mean_file: "m" }
  data_param { source: "db" batch_size: 8 } }
layer { name: "w" type: "WindowData" top: "w" top: "wl" transform_param { } window_data_param { source: "win" } }
`)
}

func TestUpgradeV1Params(t *testing.T) {
	got, notes, err := upgradeString(t, `
name: "v1"
layer { name: "dropped" type: "ReLU" }
layers { name: "c" type: CONVOLUTION bottom: "a" top: "c"
  blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0
  param: "w" param: "b" blob_share_mode: PERMISSIVE
  include { phase: TRAIN stage: "s" } loss_weight: 0.5
  convolution_param { num_output: 3 kernel_size: 1 } }
layers { name: "e" type: NONE }
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "'layer'") {
		t.Errorf("notes = %q, want one about dropped 'layer' entries", notes)
	}
	mustEqualNet(t, got, `
name: "v1"
layer { name: "c" type: "Convolution" bottom: "a" top: "c" loss_weight: 0.5
  param { name: "w" share_mode: PERMISSIVE lr_mult: 1 decay_mult: 1 }
  param { name: "b" lr_mult: 2 decay_mult: 0 }
  include { phase: TRAIN stage: "s" }
  convolution_param { num_output: 3 kernel_size: 1 } }
layer { name: "e" type: "" }
`)
}

func TestUpgradeInputErrors(t *testing.T) {
	for name, text := range map[string]string{
		"short input_dim":   `input: "a" input: "b" input_dim: 1 input_dim: 2 input_dim: 3 input_dim: 4 input_dim: 5`,
		"short input_shape": `input: "a" input: "b" input_shape { dim: 1 }`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := upgradeString(t, text); err == nil {
				t.Fatal("no error")
			}
		})
	}
	// Inputs without any dims: a legacy caffemodel; the field just goes.
	got, _, err := upgradeString(t, `input: "data" layer { name: "r" type: "ReLU" bottom: "data" top: "r" }`)
	if err != nil {
		t.Fatal(err)
	}
	mustEqualNet(t, got, `layer { name: "r" type: "ReLU" bottom: "data" top: "r" }`)
}

// UpgradeNetBatchNorm zeroes lr_mult/decay_mult only for exactly 3 params.
func TestUpgradeBatchNorm(t *testing.T) {
	got, _, err := upgradeString(t, `
layer { name: "bn3" type: "BatchNorm" param { lr_mult: 1 name: "m" } param { } param { decay_mult: 5 } }
layer { name: "bn1" type: "BatchNorm" param { lr_mult: 1 } }
layer { name: "s" type: "Scale" param { lr_mult: 1 } param { } param { } }
`)
	if err != nil {
		t.Fatal(err)
	}
	mustEqualNet(t, got, `
layer { name: "bn3" type: "BatchNorm"
  param { name: "m" lr_mult: 0 decay_mult: 0 } param { lr_mult: 0 decay_mult: 0 } param { lr_mult: 0 decay_mult: 0 } }
layer { name: "bn1" type: "BatchNorm" param { lr_mult: 1 } }
layer { name: "s" type: "Scale" param { lr_mult: 1 } param { } param { } }
`)
}

// A V1 layer's fork fields stay attached to the upgraded layer, so that
// decoders still find them.
func TestUpgradeKeepsForkFields(t *testing.T) {
	net, res := parseNetString(t, `
layers { name: "i" type: RELU bottom: "a" top: "b" interp_param { height: 5 } }
`)
	if _, _, err := upgradeNet(net, res); err != nil {
		t.Fatal(err)
	}
	u := res.UnknownField(net.Layer[0], "interp_param")
	if u == nil || u.Field("height") == nil || u.Field("height").Value != "5" {
		t.Fatalf("interp_param not found on the upgraded layer: %+v", u)
	}
	text := string(MarshalText(net, res))
	if !strings.Contains(text, "interp_param {\n    height: 5\n  }") {
		t.Errorf("WriteTextUnknown lost the fork field:\n%s", text)
	}
}
