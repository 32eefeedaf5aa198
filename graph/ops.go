package graph

// This file declares every op type. Shape inference for each lives in the
// shape_*.go files; defaults are resolved by the decoder (package caffe).

// ---- inputs and data layers ----

// Input is Caffe's Input layer (also made from legacy input/input_dim fields).
type Input struct{ Shapes []Shape }

// DataSource covers layers that read data from outside the net (Data,
// ImageData, HDF5Data, MemoryData, WindowData, DummyData, Python, ...). Shape
// holds what the params tell about the first top; unknown dims are 0 and
// must be supplied by the user (--input).
type DataSource struct {
	Kind   string  // the Caffe type
	Shapes []Shape // per top; a nil or zero-dim entry is unknown
}

// Parameter is Caffe's Parameter layer: its top is its param blob.
type Parameter struct{ Shape Shape }

// ---- vision ----

// Conv is Convolution, Deconvolution and the fork's ConvolutionDepthwise.
// Kernel/Stride/Pad/Dilation hold either one value for every spatial axis
// or one per spatial axis (empty = Caffe's default: pad 0, stride 1,
// dilation 1).
type Conv struct {
	Deconv       bool
	Depthwise    bool // group = input channels (ConvolutionDepthwise / DepthwiseConvolution)
	NumOutput    int
	BiasTerm     bool
	Kernel       []int
	Stride       []int
	Pad          []int
	Dilation     []int
	Group        int
	Axis         int
	ForceND      bool
	WeightFiller Filler
	BiasFiller   Filler
}

// PoolMethod is MAX, AVE or STOCHASTIC.
type PoolMethod int

const (
	PoolMax PoolMethod = iota
	PoolAve
	PoolStochastic
)

func (m PoolMethod) String() string { return [...]string{"MAX", "AVE", "STOCHASTIC"}[m] }

// Pool is Caffe's 2-D Pooling. Global pooling sets Kernel from the input.
type Pool struct {
	Method           PoolMethod
	KernelH, KernelW int
	StrideH, StrideW int
	PadH, PadW       int
	Global           bool
	CeilMode         bool // Caffe's default round_mode CEIL; false = FLOOR
}

// SPP is spatial pyramid pooling.
type SPP struct {
	PyramidHeight int
	Method        PoolMethod
}

// InnerProduct is a fully connected layer over axes [Axis, end).
type InnerProduct struct {
	NumOutput    int
	BiasTerm     bool
	Axis         int
	Transpose    bool
	WeightFiller Filler
	BiasFiller   Filler
}

// Embed is a lookup table.
type Embed struct {
	NumOutput    int
	InputDim     int
	BiasTerm     bool
	WeightFiller Filler
	BiasFiller   Filler
}

// LRNRegion is ACROSS_CHANNELS or WITHIN_CHANNEL.
type LRNRegion int

const (
	AcrossChannels LRNRegion = iota
	WithinChannel
)

// LRN is local response normalization.
type LRN struct {
	LocalSize int
	Alpha     float32
	Beta      float32
	K         float32
	Region    LRNRegion
}

// MVN is mean-variance normalization.
type MVN struct {
	NormalizeVariance bool
	AcrossChannels    bool
	Eps               float32
}

// BatchNorm: UseGlobalStats already resolved from the phase.
type BatchNorm struct {
	UseGlobalStats        bool
	MovingAverageFraction float32
	Eps                   float32
}

// Scale multiplies by a learned or second-bottom blob spanning NumAxes axes
// from Axis (NumAxes -1 = to the end), optionally adding a bias.
type Scale struct {
	Axis       int
	NumAxes    int
	Filler     Filler
	BiasTerm   bool
	BiasFiller Filler
}

// Bias adds a learned or second-bottom blob.
type Bias struct {
	Axis    int
	NumAxes int
	Filler  Filler
}

// ---- activations and element-wise math ----

type ReLU struct{ NegativeSlope float32 }
type PReLU struct {
	ChannelShared bool
	Filler        Filler // default constant 0.25
}
type ELU struct{ Alpha float32 }
type Sigmoid struct{}
type TanH struct{}
type AbsVal struct{}
type BNLL struct{}
type Power struct{ Power, Scale, Shift float32 }
type Exp struct{ Base, Scale, Shift float32 } // Base -1 = e
type Log struct{ Base, Scale, Shift float32 } // Base -1 = e
type Threshold struct{ Threshold float32 }
type Swish struct{ Beta float32 }
type Clip struct{ Min, Max float32 }
type Dropout struct {
	Ratio      float32
	ScaleTrain bool
}

// ReLU6 is the fork activation min(max(x,0),6).
type ReLU6 struct{}

// EltwiseOp is PROD, SUM or MAX (Caffe's enum values).
type EltwiseOp int

const (
	EltwiseProd EltwiseOp = iota
	EltwiseSum
	EltwiseMax
)

func (o EltwiseOp) String() string { return [...]string{"PROD", "SUM", "MAX"}[o] }

type Eltwise struct {
	Operation EltwiseOp
	Coeff     []float32 // empty = all 1
}

// ---- shape and data movement ----

type Softmax struct{ Axis int }
type Concat struct{ Axis int }
type Slice struct {
	Axis        int
	SlicePoints []int
}
type Split struct{}
type Silence struct{}
type Flatten struct{ Axis, EndAxis int }
type Reshape struct {
	Dims    []int // 0 copies, -1 infers
	Axis    int
	NumAxes int // -1 = to the end
}
type Crop struct {
	Axis    int
	Offsets []int
}
type Tile struct{ Axis, Tiles int }

// ReductionOp is SUM, ASUM, SUMSQ or MEAN (Caffe's enum values start at 1).
type ReductionOp int

const (
	ReduceSum ReductionOp = iota + 1
	ReduceAsum
	ReduceSumSq
	ReduceMean
)

type Reduction struct {
	Operation ReductionOp
	Axis      int
	Coeff     float32
}
type ArgMax struct {
	OutMaxVal bool
	TopK      int
	HasAxis   bool
	Axis      int
}
type BatchReindex struct{}
type Filter struct{}
type Im2col struct{ Conv Conv }

// ---- losses and metrics (train nets) ----

// Loss is any *Loss layer; its first top is a scalar.
type Loss struct {
	Kind string
}

type Accuracy struct {
	TopK        int
	Axis        int
	IgnoreLabel *int
}

// Recurrent covers RNN and LSTM.
type Recurrent struct {
	Kind                     string
	NumOutput                int
	ExposeHidden             bool
	WeightFiller, BiasFiller Filler
}
type LSTMUnit struct{}

// HDF5Output writes its bottoms; it has no tops.
type HDF5Output struct{}

// ---- fork layers found in deployed detectors and segmenters ----

// Permute reorders axes (SSD).
type Permute struct{ Order []int }

// Normalize is SSD's L2 normalization with a learned scale.
type Normalize struct {
	AcrossSpatial bool
	ChannelShared bool
	Eps           float32
	ScaleFiller   Filler
}

// PriorBox generates SSD anchor boxes.
type PriorBox struct {
	MinSizes     []float32
	MaxSizes     []float32
	AspectRatios []float32 // as written; expanded by ExpandedAspectRatios
	Flip         bool
	Clip         bool
	Variance     []float32
	ImgH, ImgW   int
	StepH, StepW float32
	Offset       float32
}

// CodeType is the SSD bounding-box encoding.
type CodeType int

const (
	CodeCorner CodeType = iota + 1
	CodeCenterSize
	CodeCornerSize
)

// DetectionOutput decodes SSD predictions and applies NMS.
type DetectionOutput struct {
	NumClasses              int
	ShareLocation           bool
	BackgroundLabelID       int
	NMSThreshold            float32
	NMSTopK                 int // -1 = all
	NMSEta                  float32
	CodeType                CodeType
	VarianceEncodedInTarget bool
	KeepTopK                int // -1 = all
	ConfidenceThreshold     float32
	HasConfidenceThreshold  bool
}

// Interp is bilinear resizing (PSPNet/DeepLab fork).
type Interp struct {
	Height, Width  int
	ZoomFactor     int
	ShrinkFactor   int
	PadBeg, PadEnd int
}

// Upsample is either SegNet's max-unpooling (two bottoms: data and pooling
// mask) or nearest-neighbour upsampling (one bottom).
type Upsample struct {
	Scale                int
	ScaleH, ScaleW       int
	UpsampleH, UpsampleW int
	// PadOutH/PadOutW (SegNet's deprecated pad_out_h/pad_out_w): a size
	// computed from the scale is one row/column short.
	PadOutH, PadOutW bool
}

// ShuffleChannel is ShuffleNet's channel shuffle.
type ShuffleChannel struct{ Group int }

// Unknown is a layer type caffetool does not know. It keeps the graph
// loadable for inspection; shape inference fails on it.
type Unknown struct{ Kind string }
