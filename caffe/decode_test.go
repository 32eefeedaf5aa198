package caffe

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// decodeText parses one `layer { ... }` body and decodes it.
func decodeText(t *testing.T, body string, phase caffepb.Phase) (graph.Op, error) {
	t.Helper()
	net, res := parseNetString(t, "layer {\n"+body+"\n}")
	return DecodeLayer(net.Layer[0], phase, res)
}

func def() graph.Filler { return graph.DefaultFiller() }

func cst(v float32) graph.Filler {
	f := graph.DefaultFiller()
	f.Value = v
	return f
}

func ip(v int) *int { return &v }

func TestDecodeDefaults(t *testing.T) {
	xavier := def()
	xavier.Type = "xavier"
	bilinear := def()
	bilinear.Type = "bilinear"
	gauss := graph.Filler{Type: "gaussian", Std: 0.01, Max: 1, Sparse: -1, VarianceNorm: graph.Average}

	cases := []struct {
		name  string
		body  string
		phase caffepb.Phase
		want  graph.Op
	}{
		{"conv defaults", `type: "Convolution" convolution_param { num_output: 8 kernel_size: 3 }`, caffepb.Phase_TEST,
			&graph.Conv{NumOutput: 8, BiasTerm: true, Kernel: []int{3}, Group: 1, Axis: 1, WeightFiller: def(), BiasFiller: def()}},
		{"conv per-axis and fillers", `type: "Convolution" convolution_param { num_output: 4 kernel_size: 3 kernel_size: 1 kernel_size: 5
			stride: 2 pad: 1 pad: 0 pad: 2 dilation: 2 group: 2 axis: -4 force_nd_im2col: true bias_term: false
			weight_filler { type: "xavier" } bias_filler { type: "gaussian" std: 0.01 variance_norm: AVERAGE } }`, caffepb.Phase_TEST,
			&graph.Conv{NumOutput: 4, Kernel: []int{3, 1, 5}, Stride: []int{2}, Pad: []int{1, 0, 2}, Dilation: []int{2},
				Group: 2, Axis: -4, ForceND: true, WeightFiller: xavier, BiasFiller: gauss}},
		{"conv h/w forms", `type: "Convolution" convolution_param { num_output: 2 kernel_h: 3 kernel_w: 5 stride_h: 2 stride_w: 1 pad_h: 1 }`, caffepb.Phase_TEST,
			&graph.Conv{NumOutput: 2, BiasTerm: true, Kernel: []int{3, 5}, Stride: []int{2, 1}, Pad: []int{1, 0}, Group: 1, Axis: 1, WeightFiller: def(), BiasFiller: def()}},
		{"deconv", `type: "Deconvolution" convolution_param { num_output: 3 group: 3 kernel_size: 4 stride: 2 pad: 1 bias_term: false weight_filler { type: "bilinear" } }`, caffepb.Phase_TEST,
			&graph.Conv{Deconv: true, NumOutput: 3, Kernel: []int{4}, Stride: []int{2}, Pad: []int{1}, Group: 3, Axis: 1, WeightFiller: bilinear, BiasFiller: def()}},
		{"depthwise fork", `type: "ConvolutionDepthwise" convolution_param { num_output: 32 kernel_size: 3 }`, caffepb.Phase_TEST,
			&graph.Conv{Depthwise: true, NumOutput: 32, BiasTerm: true, Kernel: []int{3}, Group: 1, Axis: 1, WeightFiller: def(), BiasFiller: def()}},
		{"depthwise alias", `type: "DepthwiseConvolution" convolution_param { num_output: 32 kernel_size: 3 }`, caffepb.Phase_TEST,
			&graph.Conv{Depthwise: true, NumOutput: 32, BiasTerm: true, Kernel: []int{3}, Group: 1, Axis: 1, WeightFiller: def(), BiasFiller: def()}},
		{"im2col ignores num_output", `type: "Im2col" convolution_param { kernel_size: 2 }`, caffepb.Phase_TEST,
			&graph.Im2col{Conv: graph.Conv{BiasTerm: true, Kernel: []int{2}, Group: 1, Axis: 1, WeightFiller: def(), BiasFiller: def()}}},

		{"pool defaults", `type: "Pooling" pooling_param { kernel_size: 2 }`, caffepb.Phase_TEST,
			&graph.Pool{Method: graph.PoolMax, KernelH: 2, KernelW: 2, StrideH: 1, StrideW: 1, CeilMode: true}},
		{"pool global floor", `type: "Pooling" pooling_param { pool: AVE global_pooling: true round_mode: FLOOR }`, caffepb.Phase_TEST,
			&graph.Pool{Method: graph.PoolAve, Global: true, StrideH: 1, StrideW: 1}},
		{"pool rect", `type: "Pooling" pooling_param { pool: STOCHASTIC kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 3 pad_h: 1 pad_w: 0 }`, caffepb.Phase_TEST,
			&graph.Pool{Method: graph.PoolStochastic, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 3, PadH: 1, CeilMode: true}},
		{"pool square", `type: "Pooling" pooling_param { kernel_size: 3 stride: 2 pad: 1 }`, caffepb.Phase_TEST,
			&graph.Pool{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true}},
		{"pool fork ceil_mode", `type: "Pooling" pooling_param { kernel_size: 3 stride: 2 ceil_mode: false }`, caffepb.Phase_TEST,
			&graph.Pool{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2}},
		{"spp", `type: "SPP" spp_param { pyramid_height: 3 pool: AVE }`, caffepb.Phase_TEST,
			&graph.SPP{PyramidHeight: 3, Method: graph.PoolAve}},

		{"inner product", `type: "InnerProduct" inner_product_param { num_output: 10 axis: 2 transpose: true }`, caffepb.Phase_TEST,
			&graph.InnerProduct{NumOutput: 10, BiasTerm: true, Axis: 2, Transpose: true, WeightFiller: def(), BiasFiller: def()}},
		{"embed", `type: "Embed" embed_param { num_output: 4 input_dim: 10 }`, caffepb.Phase_TEST,
			&graph.Embed{NumOutput: 4, InputDim: 10, BiasTerm: true, WeightFiller: def(), BiasFiller: def()}},
		{"lrn defaults", `type: "LRN"`, caffepb.Phase_TEST,
			&graph.LRN{LocalSize: 5, Alpha: 1, Beta: 0.75, K: 1, Region: graph.AcrossChannels}},
		{"lrn within", `type: "LRN" lrn_param { local_size: 3 alpha: 0.1 norm_region: WITHIN_CHANNEL k: 2 }`, caffepb.Phase_TEST,
			&graph.LRN{LocalSize: 3, Alpha: 0.1, Beta: 0.75, K: 2, Region: graph.WithinChannel}},
		{"mvn defaults", `type: "MVN"`, caffepb.Phase_TEST,
			&graph.MVN{NormalizeVariance: true, Eps: 1e-9}},

		{"batchnorm TEST", `type: "BatchNorm"`, caffepb.Phase_TEST,
			&graph.BatchNorm{UseGlobalStats: true, MovingAverageFraction: 0.999, Eps: 1e-5}},
		{"batchnorm TRAIN", `type: "BatchNorm" batch_norm_param { eps: 0.001 }`, caffepb.Phase_TRAIN,
			&graph.BatchNorm{UseGlobalStats: false, MovingAverageFraction: 0.999, Eps: 0.001}},
		{"batchnorm explicit", `type: "BatchNorm" batch_norm_param { use_global_stats: false } param { lr_mult: 0 }`, caffepb.Phase_TEST,
			&graph.BatchNorm{UseGlobalStats: false, MovingAverageFraction: 0.999, Eps: 1e-5}},
		{"batchnorm layer phase wins", `type: "BatchNorm" phase: TRAIN`, caffepb.Phase_TEST,
			&graph.BatchNorm{UseGlobalStats: false, MovingAverageFraction: 0.999, Eps: 1e-5}},
		{"scale defaults", `type: "Scale"`, caffepb.Phase_TEST,
			&graph.Scale{Axis: 1, NumAxes: 1, Filler: cst(1), BiasFiller: def()}},
		{"scale bias", `type: "Scale" scale_param { axis: 0 num_axes: -1 bias_term: true filler { value: 2 } bias_filler { type: "constant" value: 3 } }`, caffepb.Phase_TEST,
			&graph.Scale{Axis: 0, NumAxes: -1, Filler: cst(2), BiasTerm: true, BiasFiller: cst(3)}},
		{"bias defaults", `type: "Bias"`, caffepb.Phase_TEST,
			&graph.Bias{Axis: 1, NumAxes: 1, Filler: def()}},

		{"relu", `type: "ReLU" relu_param { negative_slope: 0.1 }`, caffepb.Phase_TEST, &graph.ReLU{NegativeSlope: 0.1}},
		{"prelu default filler", `type: "PReLU"`, caffepb.Phase_TEST, &graph.PReLU{Filler: cst(0.25)}},
		{"prelu given filler", `type: "PReLU" prelu_param { channel_shared: true filler { } }`, caffepb.Phase_TEST,
			&graph.PReLU{ChannelShared: true, Filler: def()}},
		{"elu", `type: "ELU"`, caffepb.Phase_TEST, &graph.ELU{Alpha: 1}},
		{"sigmoid", `type: "Sigmoid"`, caffepb.Phase_TEST, &graph.Sigmoid{}},
		{"tanh", `type: "TanH"`, caffepb.Phase_TEST, &graph.TanH{}},
		{"absval", `type: "AbsVal"`, caffepb.Phase_TEST, &graph.AbsVal{}},
		{"bnll", `type: "BNLL"`, caffepb.Phase_TEST, &graph.BNLL{}},
		{"relu6", `type: "ReLU6"`, caffepb.Phase_TEST, &graph.ReLU6{}},
		{"power", `type: "Power" power_param { power: 2 }`, caffepb.Phase_TEST, &graph.Power{Power: 2, Scale: 1}},
		{"exp", `type: "Exp"`, caffepb.Phase_TEST, &graph.Exp{Base: -1, Scale: 1}},
		{"log", `type: "Log" log_param { base: 10 shift: 0.5 }`, caffepb.Phase_TEST, &graph.Log{Base: 10, Scale: 1, Shift: 0.5}},
		{"threshold", `type: "Threshold" threshold_param { threshold: 0.3 }`, caffepb.Phase_TEST, &graph.Threshold{Threshold: 0.3}},
		{"swish", `type: "Swish"`, caffepb.Phase_TEST, &graph.Swish{Beta: 1}},
		{"clip", `type: "Clip" clip_param { min: -0.4 max: 0.6 }`, caffepb.Phase_TEST, &graph.Clip{Min: -0.4, Max: 0.6}},
		{"dropout", `type: "Dropout"`, caffepb.Phase_TEST, &graph.Dropout{Ratio: 0.5, ScaleTrain: true}},
		{"eltwise default", `type: "Eltwise" bottom: "a" bottom: "b"`, caffepb.Phase_TEST, &graph.Eltwise{Operation: graph.EltwiseSum}},
		{"eltwise coeff", `type: "Eltwise" bottom: "a" bottom: "b" eltwise_param { coeff: 1 coeff: -0.5 }`, caffepb.Phase_TEST,
			&graph.Eltwise{Operation: graph.EltwiseSum, Coeff: []float32{1, -0.5}}},
		{"eltwise max", `type: "Eltwise" eltwise_param { operation: MAX }`, caffepb.Phase_TEST, &graph.Eltwise{Operation: graph.EltwiseMax}},

		{"softmax", `type: "Softmax"`, caffepb.Phase_TEST, &graph.Softmax{Axis: 1}},
		{"concat", `type: "Concat"`, caffepb.Phase_TEST, &graph.Concat{Axis: 1}},
		{"concat axis", `type: "Concat" concat_param { axis: -1 }`, caffepb.Phase_TEST, &graph.Concat{Axis: -1}},
		{"concat legacy", `type: "Concat" concat_param { concat_dim: 0 }`, caffepb.Phase_TEST, &graph.Concat{Axis: 0}},
		{"slice", `type: "Slice" slice_param { slice_point: 2 slice_point: 5 }`, caffepb.Phase_TEST, &graph.Slice{Axis: 1, SlicePoints: []int{2, 5}}},
		{"slice legacy", `type: "Slice" slice_param { slice_dim: 2 }`, caffepb.Phase_TEST, &graph.Slice{Axis: 2}},
		{"split", `type: "Split"`, caffepb.Phase_TEST, &graph.Split{}},
		{"silence", `type: "Silence"`, caffepb.Phase_TEST, &graph.Silence{}},
		{"flatten", `type: "Flatten"`, caffepb.Phase_TEST, &graph.Flatten{Axis: 1, EndAxis: -1}},
		{"reshape", `type: "Reshape" reshape_param { shape { dim: 0 dim: -1 dim: 7 } }`, caffepb.Phase_TEST,
			&graph.Reshape{Dims: []int{0, -1, 7}, NumAxes: -1}},
		{"reshape empty", `type: "Reshape"`, caffepb.Phase_TEST, &graph.Reshape{Dims: []int{}, NumAxes: -1}},
		{"crop", `type: "Crop" crop_param { offset: 1 offset: 2 }`, caffepb.Phase_TEST, &graph.Crop{Axis: 2, Offsets: []int{1, 2}}},
		{"tile", `type: "Tile" tile_param { tiles: 3 }`, caffepb.Phase_TEST, &graph.Tile{Axis: 1, Tiles: 3}},
		{"reduction", `type: "Reduction"`, caffepb.Phase_TEST, &graph.Reduction{Operation: graph.ReduceSum, Coeff: 1}},
		{"reduction mean", `type: "Reduction" reduction_param { operation: MEAN axis: 1 coeff: 2 }`, caffepb.Phase_TEST,
			&graph.Reduction{Operation: graph.ReduceMean, Axis: 1, Coeff: 2}},
		{"argmax", `type: "ArgMax"`, caffepb.Phase_TEST, &graph.ArgMax{TopK: 1}},
		{"argmax axis", `type: "ArgMax" argmax_param { axis: 1 out_max_val: true top_k: 2 }`, caffepb.Phase_TEST,
			&graph.ArgMax{OutMaxVal: true, TopK: 2, HasAxis: true, Axis: 1}},
		{"batch reindex", `type: "BatchReindex"`, caffepb.Phase_TEST, &graph.BatchReindex{}},
		{"filter", `type: "Filter"`, caffepb.Phase_TEST, &graph.Filter{}},

		{"input", `type: "Input" top: "a" top: "b" input_param { shape { dim: 1 dim: 3 } shape { } }`, caffepb.Phase_TEST,
			&graph.Input{Shapes: []graph.Shape{{1, 3}, {}}}},
		{"input no shape", `type: "Input" top: "a"`, caffepb.Phase_TEST, &graph.Input{}},
		{"parameter", `type: "Parameter" parameter_param { shape { dim: 2 dim: 3 } }`, caffepb.Phase_TEST, &graph.Parameter{Shape: graph.Shape{2, 3}}},
		{"data crop", `type: "Data" top: "data" top: "label" data_param { batch_size: 16 } transform_param { crop_size: 227 }`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "Data", Shapes: []graph.Shape{{16, 0, 227, 227}, {16}}}},
		{"data plain", `type: "Data" top: "data" data_param { batch_size: 4 }`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "Data", Shapes: []graph.Shape{{4, 0, 0, 0}}}},
		{"image data defaults", `type: "ImageData" top: "data" top: "label"`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "ImageData", Shapes: []graph.Shape{{1, 3, 0, 0}, {1}}}},
		{"image data sized grey", `type: "ImageData" top: "data" image_data_param { batch_size: 5 new_height: 32 new_width: 40 is_color: false }`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "ImageData", Shapes: []graph.Shape{{5, 1, 32, 40}}}},
		{"memory data", `type: "MemoryData" top: "d" top: "l" memory_data_param { batch_size: 2 channels: 3 height: 4 width: 5 }`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "MemoryData", Shapes: []graph.Shape{{2, 3, 4, 5}, {2}}}},
		{"dummy data shape", `type: "DummyData" top: "a" top: "b" dummy_data_param { shape { dim: 2 dim: 3 } }`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "DummyData", Shapes: []graph.Shape{{2, 3}, {2, 3}}}},
		{"dummy data legacy", `type: "DummyData" top: "a" top: "b" dummy_data_param { num: 2 channels: 3 channels: 1 height: 4 width: 5 }`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "DummyData", Shapes: []graph.Shape{{2, 3, 4, 5}, {2, 1, 4, 5}}}},
		{"hdf5 data", `type: "HDF5Data" top: "a" top: "b" hdf5_data_param { batch_size: 2 }`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "HDF5Data", Shapes: []graph.Shape{nil, nil}}},
		{"window data", `type: "WindowData" top: "a" top: "b" window_data_param { batch_size: 2 } transform_param { crop_size: 9 }`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "WindowData", Shapes: []graph.Shape{{2, 3, 9, 9}, {2}}}},
		{"python", `type: "Python" bottom: "x" top: "a"`, caffepb.Phase_TEST,
			&graph.DataSource{Kind: "Python", Shapes: []graph.Shape{nil}}},

		{"loss", `type: "SoftmaxWithLoss"`, caffepb.Phase_TRAIN, &graph.Loss{Kind: "SoftmaxWithLoss"}},
		{"fork loss", `type: "MultiBoxLoss"`, caffepb.Phase_TRAIN, &graph.Loss{Kind: "MultiBoxLoss"}},
		{"accuracy", `type: "Accuracy" accuracy_param { ignore_label: -1 top_k: 5 }`, caffepb.Phase_TEST,
			&graph.Accuracy{TopK: 5, Axis: 1, IgnoreLabel: ip(-1)}},
		{"accuracy defaults", `type: "Accuracy"`, caffepb.Phase_TEST, &graph.Accuracy{TopK: 1, Axis: 1}},
		{"lstm", `type: "LSTM" recurrent_param { num_output: 7 expose_hidden: true }`, caffepb.Phase_TEST,
			&graph.Recurrent{Kind: "LSTM", NumOutput: 7, ExposeHidden: true, WeightFiller: def(), BiasFiller: def()}},
		{"rnn", `type: "RNN"`, caffepb.Phase_TEST, &graph.Recurrent{Kind: "RNN", WeightFiller: def(), BiasFiller: def()}},
		{"lstm unit", `type: "LSTMUnit"`, caffepb.Phase_TEST, &graph.LSTMUnit{}},
		{"hdf5 output", `type: "HDF5Output"`, caffepb.Phase_TEST, &graph.HDF5Output{}},

		{"permute", `type: "Permute" permute_param { order: 0 order: 2 order: 3 order: 1 }`, caffepb.Phase_TEST,
			&graph.Permute{Order: []int{0, 2, 3, 1}}},
		{"normalize", `type: "Normalize" norm_param { across_spatial: false }`, caffepb.Phase_TEST,
			&graph.Normalize{ChannelShared: true, Eps: 1e-10, ScaleFiller: cst(1)}},
		{"priorbox defaults", `type: "PriorBox" prior_box_param { min_size: 30 }`, caffepb.Phase_TEST,
			&graph.PriorBox{MinSizes: []float32{30}, Flip: true, Variance: []float32{0.1}, Offset: 0.5}},
		{"priorbox full", `type: "PriorBox" prior_box_param { min_size: 30 min_size: 60 max_size: 60 max_size: 90 aspect_ratio: 2 flip: false clip: true
			variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2 img_h: 300 img_w: 200 step: 8 offset: 0.25 }`, caffepb.Phase_TEST,
			&graph.PriorBox{MinSizes: []float32{30, 60}, MaxSizes: []float32{60, 90}, AspectRatios: []float32{2}, Clip: true,
				Variance: []float32{0.1, 0.1, 0.2, 0.2}, ImgH: 300, ImgW: 200, StepH: 8, StepW: 8, Offset: 0.25}},
		{"priorbox img_size step_h", `type: "PriorBox" prior_box_param { min_size: 30 img_size: 300 step_h: 8 step_w: 16 }`, caffepb.Phase_TEST,
			&graph.PriorBox{MinSizes: []float32{30}, Flip: true, Variance: []float32{0.1}, ImgH: 300, ImgW: 300, StepH: 8, StepW: 16, Offset: 0.5}},
		{"detection output", `type: "DetectionOutput" detection_output_param { num_classes: 21 nms_param { nms_threshold: 0.45 top_k: 100 }
			code_type: CENTER_SIZE keep_top_k: 200 confidence_threshold: 0.01 }`, caffepb.Phase_TEST,
			&graph.DetectionOutput{NumClasses: 21, ShareLocation: true, NMSThreshold: 0.45, NMSTopK: 100, NMSEta: 1,
				CodeType: graph.CodeCenterSize, KeepTopK: 200, ConfidenceThreshold: 0.01, HasConfidenceThreshold: true}},
		{"detection output defaults", `type: "DetectionOutput" detection_output_param { num_classes: 2 }`, caffepb.Phase_TEST,
			&graph.DetectionOutput{NumClasses: 2, ShareLocation: true, NMSThreshold: 0.3, NMSTopK: -1, NMSEta: 1,
				CodeType: graph.CodeCorner, KeepTopK: -1, ConfidenceThreshold: -math.MaxFloat32}},

		{"interp", `type: "Interp" interp_param { zoom_factor: 2 pad_beg: -1 }`, caffepb.Phase_TEST,
			&graph.Interp{ZoomFactor: 2, ShrinkFactor: 1, PadBeg: -1}},
		{"interp size", `type: "Interp" interp_param { height: 33 width: 65 }`, caffepb.Phase_TEST,
			&graph.Interp{Height: 33, Width: 65, ZoomFactor: 1, ShrinkFactor: 1}},
		{"interp no param", `type: "Interp"`, caffepb.Phase_TEST, &graph.Interp{ZoomFactor: 1, ShrinkFactor: 1}},
		{"upsample default", `type: "Upsample" bottom: "x" bottom: "mask"`, caffepb.Phase_TEST, &graph.Upsample{Scale: 2, ScaleH: 2, ScaleW: 2}},
		{"upsample scale", `type: "Upsample" bottom: "x" bottom: "mask" upsample_param { scale: 4 }`, caffepb.Phase_TEST, &graph.Upsample{Scale: 4, ScaleH: 4, ScaleW: 4}},
		{"upsample hw", `type: "Upsample" bottom: "x" bottom: "mask" upsample_param { scale_h: 2 scale_w: 3 }`, caffepb.Phase_TEST, &graph.Upsample{Scale: 2, ScaleH: 2, ScaleW: 3}},
		{"upsample pad_out", `type: "Upsample" bottom: "x" bottom: "mask" upsample_param { scale: 2 pad_out_h: true pad_out_w: false }`, caffepb.Phase_TEST,
			&graph.Upsample{Scale: 2, ScaleH: 2, ScaleW: 2, PadOutH: true}},
		{"upsample nearest scale 1", `type: "Upsample" bottom: "x" upsample_param { scale: 1 }`, caffepb.Phase_TEST, &graph.Upsample{Scale: 1, ScaleH: 1, ScaleW: 1}},
		{"upsample size", `type: "Upsample" bottom: "x" bottom: "mask" upsample_param { upsample_h: 20 upsample_w: 30 pad_out_h: true }`, caffepb.Phase_TEST,
			&graph.Upsample{Scale: 2, UpsampleH: 20, UpsampleW: 30}},
		{"shuffle", `type: "ShuffleChannel" shuffle_channel_param { group: 4 }`, caffepb.Phase_TEST, &graph.ShuffleChannel{Group: 4}},
		{"shuffle default", `type: "ShuffleChannel"`, caffepb.Phase_TEST, &graph.ShuffleChannel{Group: 1}},
		{"unknown", `type: "Proposal"`, caffepb.Phase_TEST, &graph.Unknown{Kind: "Proposal"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodeText(t, `name: "l" `+c.body, c.phase)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, body, field string
	}{
		{"conv both kernel forms", `type: "Convolution" convolution_param { num_output: 1 kernel_size: 3 kernel_h: 3 kernel_w: 3 }`, "kernel_size"},
		{"conv no kernel", `type: "Convolution" convolution_param { num_output: 1 }`, "kernel_size"},
		{"conv kernel_h only", `type: "Convolution" convolution_param { num_output: 1 kernel_h: 3 }`, "kernel_h/kernel_w"},
		{"conv zero kernel", `type: "Convolution" convolution_param { num_output: 1 kernel_size: 0 }`, "kernel_size"},
		{"conv both strides", `type: "Convolution" convolution_param { num_output: 1 kernel_size: 3 stride: 1 stride_h: 2 stride_w: 2 }`, "stride"},
		{"conv both pads", `type: "Convolution" convolution_param { num_output: 1 kernel_size: 3 pad: 1 pad_h: 2 }`, "pad"},
		{"conv zero stride", `type: "Convolution" convolution_param { num_output: 1 kernel_size: 3 stride: 0 }`, "stride"},
		{"conv no num_output", `type: "Convolution" convolution_param { kernel_size: 3 }`, "num_output"},
		{"conv group 0", `type: "Deconvolution" convolution_param { num_output: 2 kernel_size: 3 group: 0 }`, "group"},
		{"conv no param", `type: "Convolution"`, "kernel_size"},
		{"pool both kernel forms", `type: "Pooling" pooling_param { kernel_size: 2 kernel_h: 2 kernel_w: 2 }`, "kernel_size"},
		{"pool half rect", `type: "Pooling" pooling_param { kernel_h: 2 }`, "kernel_h/kernel_w"},
		{"pool no kernel", `type: "Pooling"`, "kernel_size"},
		{"pool global kernel", `type: "Pooling" pooling_param { global_pooling: true kernel_size: 2 }`, "global_pooling"},
		{"pool pad forms", `type: "Pooling" pooling_param { kernel_size: 2 pad: 1 pad_h: 1 pad_w: 1 }`, "pad"},
		{"pool stride half", `type: "Pooling" pooling_param { kernel_size: 2 stride_h: 1 }`, "stride"},
		{"lrn even", `type: "LRN" lrn_param { local_size: 4 }`, "local_size"},
		{"batchnorm lr_mult", `type: "BatchNorm" param { lr_mult: 0 } param { }`, "param"},
		{"scale num_axes", `type: "Scale" scale_param { num_axes: -2 }`, "num_axes"},
		{"exp base", `type: "Exp" exp_param { base: 0 }`, "exp_param.base"},
		{"log base", `type: "Log" log_param { base: -2 }`, "log_param.base"},
		{"clip min", `type: "Clip" clip_param { max: 1 }`, "clip_param.min"},
		{"clip max", `type: "Clip" clip_param { min: 1 }`, "clip_param.max"},
		{"dropout ratio", `type: "Dropout" dropout_param { dropout_ratio: 1 }`, "dropout_param.dropout_ratio"},
		{"eltwise coeffs", `type: "Eltwise" bottom: "a" bottom: "b" eltwise_param { coeff: 1 }`, "eltwise_param.coeff"},
		{"eltwise prod coeffs", `type: "Eltwise" bottom: "a" eltwise_param { operation: PROD coeff: 1 }`, "eltwise_param.coeff"},
		{"concat both", `type: "Concat" concat_param { axis: 1 concat_dim: 1 }`, "concat_param.concat_dim"},
		{"slice both", `type: "Slice" slice_param { axis: 1 slice_dim: 1 }`, "slice_param.slice_dim"},
		{"reshape two -1", `type: "Reshape" reshape_param { shape { dim: -1 dim: -1 } }`, "reshape_param.shape"},
		{"tile missing", `type: "Tile"`, "tile_param.tiles"},
		{"tile zero", `type: "Tile" tile_param { tiles: 0 }`, "tile_param.tiles"},
		{"argmax top_k", `type: "ArgMax" argmax_param { top_k: 0 }`, "argmax_param.top_k"},
		{"memory data", `type: "MemoryData" top: "a" memory_data_param { batch_size: 1 channels: 3 height: 4 }`, "memory_data_param"},
		{"dummy both", `type: "DummyData" top: "a" dummy_data_param { num: 1 channels: 1 height: 1 width: 1 shape { dim: 1 } }`, "dummy_data_param.shape"},
		{"dummy count", `type: "DummyData" top: "a" top: "b" top: "c" dummy_data_param { shape { dim: 1 } shape { dim: 2 } }`, "dummy_data_param.shape"},
		{"dummy legacy count", `type: "DummyData" top: "a" top: "b" top: "c" dummy_data_param { num: 1 num: 2 channels: 1 height: 1 width: 1 }`, "dummy_data_param.num"},
		{"window no crop", `type: "WindowData" top: "a"`, "transform_param.crop_size"},
		{"priorbox no min", `type: "PriorBox"`, "prior_box_param.min_size"},
		{"priorbox max count", `type: "PriorBox" prior_box_param { min_size: 30 min_size: 40 max_size: 50 }`, "prior_box_param.max_size"},
		{"priorbox max small", `type: "PriorBox" prior_box_param { min_size: 30 max_size: 20 }`, "prior_box_param.max_size"},
		{"priorbox variance", `type: "PriorBox" prior_box_param { min_size: 30 variance: 0.1 variance: 0.2 }`, "prior_box_param.variance"},
		{"priorbox img both", `type: "PriorBox" prior_box_param { min_size: 30 img_size: 3 img_h: 3 img_w: 3 }`, "prior_box_param.img_size"},
		{"priorbox step both", `type: "PriorBox" prior_box_param { min_size: 30 step: 3 step_h: 3 step_w: 3 }`, "prior_box_param.step"},
		{"detection no classes", `type: "DetectionOutput"`, "detection_output_param.num_classes"},
		{"detection eta", `type: "DetectionOutput" detection_output_param { num_classes: 2 nms_param { eta: 0 } }`, "detection_output_param.nms_param.eta"},
		{"interp not int", `type: "Interp" interp_param { height: 2.5 }`, "interp_param.height"},
		{"interp not block", `type: "Interp" interp_param: 3`, "interp_param"},
		{"upsample scale 1", `type: "Upsample" bottom: "x" bottom: "m" upsample_param { scale: 1 }`, "upsample_param.scale"},
		{"upsample scale and hw", `type: "Upsample" bottom: "x" bottom: "m" upsample_param { scale: 2 scale_h: 2 scale_w: 2 }`, "upsample_param"},
		{"upsample size 1", `type: "Upsample" bottom: "x" bottom: "m" upsample_param { upsample_h: 1 upsample_w: 4 }`, "upsample_param.upsample_h"},
		{"upsample pad_out scale", `type: "Upsample" upsample_param { scale: 3 pad_out_w: true }`, "upsample_param.pad_out_w"},
		{"upsample negative", `type: "Upsample" upsample_param { scale: -2 }`, "upsample_param.scale"},
		{"shuffle group 0", `type: "ShuffleChannel" shuffle_channel_param { group: 0 }`, "shuffle_channel_param.group"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeText(t, `name: "bad" `+c.body, caffepb.Phase_TEST)
			var le *graph.LayerError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *graph.LayerError", err)
			}
			if le.Layer != "bad" || le.Field != c.field {
				t.Errorf("LayerError{Layer %q, Field %q} (%v), want field %q", le.Layer, le.Field, err, c.field)
			}
			if !strings.Contains(err.Error(), "bad") {
				t.Errorf("message %q does not name the layer", err)
			}
		})
	}
}

// A V1 layer whose enum type our schema does not know keeps its name as
// the type, decoding to Unknown.
func TestDecodeUnknownV1Type(t *testing.T) {
	net, res := parseNetString(t, `layers { name: "bn" type: BN bottom: "a" top: "b" }`)
	if _, _, err := upgradeNet(net, res); err != nil {
		t.Fatal(err)
	}
	op, err := DecodeLayer(net.Layer[0], caffepb.Phase_TEST, res)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := op.(*graph.Unknown); !ok || u.Kind != "BN" {
		t.Fatalf("op = %#v, want Unknown{BN}", op)
	}
	text := string(MarshalText(net, res))
	if !strings.Contains(text, `type: "BN"`) || strings.Count(text, "type:") != 1 {
		t.Errorf("written back as\n%s", text)
	}
}
