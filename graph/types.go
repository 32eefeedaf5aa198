package graph

func (*Input) Type() string        { return "Input" }
func (o *DataSource) Type() string { return o.Kind }
func (*Parameter) Type() string    { return "Parameter" }
func (o *Conv) Type() string {
	if o.Deconv {
		return "Deconvolution"
	}
	return "Convolution"
}
func (*Pool) Type() string            { return "Pooling" }
func (*SPP) Type() string             { return "SPP" }
func (*InnerProduct) Type() string    { return "InnerProduct" }
func (*Embed) Type() string           { return "Embed" }
func (*LRN) Type() string             { return "LRN" }
func (*MVN) Type() string             { return "MVN" }
func (*BatchNorm) Type() string       { return "BatchNorm" }
func (*Scale) Type() string           { return "Scale" }
func (*Bias) Type() string            { return "Bias" }
func (*ReLU) Type() string            { return "ReLU" }
func (*PReLU) Type() string           { return "PReLU" }
func (*ELU) Type() string             { return "ELU" }
func (*Sigmoid) Type() string         { return "Sigmoid" }
func (*TanH) Type() string            { return "TanH" }
func (*AbsVal) Type() string          { return "AbsVal" }
func (*BNLL) Type() string            { return "BNLL" }
func (*Power) Type() string           { return "Power" }
func (*Exp) Type() string             { return "Exp" }
func (*Log) Type() string             { return "Log" }
func (*Threshold) Type() string       { return "Threshold" }
func (*Swish) Type() string           { return "Swish" }
func (*Clip) Type() string            { return "Clip" }
func (*Dropout) Type() string         { return "Dropout" }
func (*ReLU6) Type() string           { return "ReLU6" }
func (*Eltwise) Type() string         { return "Eltwise" }
func (*Softmax) Type() string         { return "Softmax" }
func (*Concat) Type() string          { return "Concat" }
func (*Slice) Type() string           { return "Slice" }
func (*Split) Type() string           { return "Split" }
func (*Silence) Type() string         { return "Silence" }
func (*Flatten) Type() string         { return "Flatten" }
func (*Reshape) Type() string         { return "Reshape" }
func (*Crop) Type() string            { return "Crop" }
func (*Tile) Type() string            { return "Tile" }
func (*Reduction) Type() string       { return "Reduction" }
func (*ArgMax) Type() string          { return "ArgMax" }
func (*BatchReindex) Type() string    { return "BatchReindex" }
func (*Filter) Type() string          { return "Filter" }
func (*Im2col) Type() string          { return "Im2col" }
func (o *Loss) Type() string          { return o.Kind }
func (*Accuracy) Type() string        { return "Accuracy" }
func (o *Recurrent) Type() string     { return o.Kind }
func (*LSTMUnit) Type() string        { return "LSTMUnit" }
func (*HDF5Output) Type() string      { return "HDF5Output" }
func (*Permute) Type() string         { return "Permute" }
func (*Normalize) Type() string       { return "Normalize" }
func (*PriorBox) Type() string        { return "PriorBox" }
func (*DetectionOutput) Type() string { return "DetectionOutput" }
func (*Interp) Type() string          { return "Interp" }
func (*Upsample) Type() string        { return "Upsample" }
func (*ShuffleChannel) Type() string  { return "ShuffleChannel" }
func (o *Unknown) Type() string       { return o.Kind }
