package exec

// registry is the one table of executable layer types: Caffe type string
// (aliases included) to factory. Types absent here are listed, with the
// reason, in unsupported.
var registry = map[string]Factory{
	// core: convolution, pooling, inner product, data movement (exec core)
	"Convolution":          newConvolution,
	"ConvolutionDepthwise": newConvolution,
	"DepthwiseConvolution": newConvolution,
	"Deconvolution":        newDeconvolution,
	"Im2col":               newIm2col,
	"Pooling":              newPooling,
	"SPP":                  newSPP,
	"InnerProduct":         newInnerProduct,
	"Concat":               newConcat,
	"Slice":                newSlice,
	"Split":                newSplit,
	"Flatten":              newReshaping,
	"Reshape":              newReshaping,
	"Crop":                 newCrop,
	"Tile":                 newTile,
	"Silence":              newSilence,
	"Dropout":              newDropout,
	"Input":                newInput,
	"Parameter":            newParameter,
	"BatchReindex":         newBatchReindex,
	// Data layers run as inputs: the caller supplies their tops.
	"Data":          newDataSource,
	"ImageData":     newDataSource,
	"HDF5Data":      newDataSource,
	"MemoryData":    newDataSource,
	"WindowData":    newDataSource,
	"DummyData":     newDataSource,
	"AnnotatedData": newDataSource,
	"Python":        newDataSource,

	// other layers (activations, normalization, element-wise, fork layers)
	"ReLU":      newReLU,
	"ReLU6":     newReLU6,
	"PReLU":     newPReLU,
	"ELU":       newELU,
	"Sigmoid":   newSigmoid,
	"TanH":      newTanH,
	"AbsVal":    newAbsVal,
	"BNLL":      newBNLL,
	"Power":     newPower,
	"Exp":       newExp,
	"Log":       newLog,
	"Threshold": newThreshold,
	"Swish":     newSwish,
	"Clip":      newClip,
	"BatchNorm": newBatchNorm,
	"LRN":       newLRN,
	"MVN":       newMVN,
	"Normalize": newNormalize,
	"Softmax":   newSoftmax,
	"Scale":     newScale,
	"Bias":      newBias,
	"Eltwise":   newEltwise,
	"Reduction": newReduction,
	"ArgMax":    newArgMax,
	"Embed":     newEmbed,
	// SSD, PSPNet/DeepLab, SegNet/ENet and ShuffleNet forks
	"Permute":         newPermute,
	"PriorBox":        newPriorBox,
	"DetectionOutput": newDetectionOutput,
	"Interp":          newInterp,
	"Upsample":        newUpsample,
	"ShuffleChannel":  newShuffleChannel,
}

// unsupported names the layer types the graph knows but exec does not run,
// and why.
var unsupported = map[string]string{
	// core
	"SoftmaxWithLoss":         lossReason,
	"InfogainLoss":            lossReason,
	"ContrastiveLoss":         lossReason,
	"EuclideanLoss":           lossReason,
	"HingeLoss":               lossReason,
	"MultinomialLogisticLoss": lossReason,
	"SigmoidCrossEntropyLoss": lossReason,
	"Accuracy":                "training-only: scores predictions against labels",
	"HDF5Output":              "training-only: writes its bottoms to an HDF5 file",
	"Filter":                  "its output shape depends on the selector's values, and exec runs with shapes fixed at compile time",
	"RNN":                     recurrentReason,
	"LSTM":                    recurrentReason,
	"LSTMUnit":                "not implemented: used inside unrolled LSTM nets, which exec does not run",

	// other layers
}

const recurrentReason = "not implemented: Caffe runs recurrent layers as an unrolled internal net"

// lossReason also covers fork losses (any type ending in "Loss").
const lossReason = "training-only: a loss layer needs labels and produces no inference output"
