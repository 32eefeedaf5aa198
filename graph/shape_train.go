package graph

import "fmt"

// ---- losses ----

func (o *Loss) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: the loss is a scalar. SoftmaxWithLoss and InfogainLoss may output
// the probabilities (bottom[0]'s shape) as a second top. Loss kinds Caffe
// knows check that prediction and label agree on the first axis (Caffe's
// LossLayer::Reshape) plus their own count rules.
func (o *Loss) infer(in []Shape, n int) ([]Shape, error) {
	if _, known := lossArity[o.Kind]; known {
		if len(in[0]) < 1 || len(in[1]) < 1 {
			return nil, ferr("bottom", "prediction and label need at least one axis (%v, %v)", in[0], in[1])
		}
		if in[0][0] != in[1][0] {
			return nil, ferr("bottom[1]", "the data and label should have the same first dimension: %v vs %v", in[0], in[1])
		}
		switch o.Kind {
		case "EuclideanLoss":
			if in[0].CountRange(1, len(in[0])) != in[1].CountRange(1, len(in[1])) {
				return nil, ferr("bottom[1]", "inputs must have the same dimension: %v vs %v", in[0], in[1])
			}
		case "SigmoidCrossEntropyLoss":
			if in[0].Count() != in[1].Count() {
				return nil, ferr("bottom[1]", "SigmoidCrossEntropyLoss needs inputs of equal count: %v vs %v", in[0], in[1])
			}
		}
	}
	out := make([]Shape, n)
	for i := range out {
		switch i {
		case 0:
			out[i] = Shape{}
		case 1:
			if o.Kind != "SoftmaxWithLoss" && o.Kind != "InfogainLoss" {
				return nil, ferr("top", "%s has one top", o.Kind)
			}
			out[i] = in[0].Clone()
		default:
			return nil, ferr("top", "%s has at most two tops", o.Kind)
		}
	}
	return out, nil
}

// ---- Accuracy ----

func (o *Accuracy) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: a scalar accuracy, plus per-class accuracies [C] as a second top.
func (o *Accuracy) infer(in []Shape, n int) ([]Shape, error) {
	axis, err := CanonicalAxis(o.Axis, len(in[0]))
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	labels := in[1].Count()
	if labels == 0 {
		return nil, ferr("bottom[1]", "label blob %v is empty", in[1])
	}
	if o.TopK < 1 || o.TopK > in[0].Count()/labels {
		return nil, ferr("top_k", "top_k %d must be in [1, number of classes %d]", o.TopK, in[0].Count()/labels)
	}
	if in[0].CountRange(0, axis)*in[0].CountRange(axis+1, len(in[0])) != labels {
		return nil, ferr("bottom[1]", "number of labels must match number of predictions: label shape %v, prediction shape %v with label axis %d", in[1], in[0], axis)
	}
	out := []Shape{{}}
	if n > 1 {
		out = append(out, Shape{in[0][axis]})
	}
	return out, nil
}

// ---- HDF5Output ----

func (o *HDF5Output) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }
func (o *HDF5Output) infer(in []Shape, n int) ([]Shape, error)       { return []Shape{}, nil }

// ---- Recurrent (RNN, LSTM) ----

func (o *Recurrent) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// recurrentInputs checks the bottoms: x [T, N, ...], cont [T, N], an
// optional static input [N, ...], then the exposed hidden states
// [1, N, num_output]. It reports whether the static input is present.
func (o *Recurrent) recurrentInputs(in []Shape) (static bool, err error) {
	nrec := recurrentBlobs(o.Kind)
	if nrec == 0 {
		return false, ferr("type", "unknown recurrent layer kind %q (want RNN or LSTM)", o.Kind)
	}
	if o.NumOutput <= 0 {
		return false, ferr("num_output", "must be positive, got %d", o.NumOutput)
	}
	if len(in) < 2 {
		return false, ferr("bottom", "needs x and cont bottoms")
	}
	x, cont := in[0], in[1]
	if len(x) < 2 {
		return false, ferr("bottom[0]", "must have at least 2 axes (#timesteps, #streams, ...), got %v", x)
	}
	if len(cont) != 2 || cont[0] != x[0] || cont[1] != x[1] {
		return false, ferr("bottom[1]", "must have shape (#timesteps, #streams) = %v, got %v", x[:2], cont)
	}
	hidden := 0
	if o.ExposeHidden {
		hidden = nrec
	}
	static = len(in) > 2+hidden
	if static {
		if len(in[2]) < 1 || in[2][0] != x[1] {
			return false, ferr("bottom[2]", "static input must have shape (#streams = %d, ...), got %v", x[1], in[2])
		}
	}
	first := 2
	if static {
		first = 3
	}
	want := Shape{1, x[1], o.NumOutput}
	for i := first; i < len(in); i++ {
		if !in[i].Equal(want) {
			return false, ferr(fmt.Sprintf("bottom[%d]", i), "hidden state shape must be %v, got %v", want, in[i])
		}
	}
	return static, nil
}

// infer: the output sequence [T, N, num_output], then the exposed final
// hidden states [1, N, num_output].
func (o *Recurrent) infer(in []Shape, n int) ([]Shape, error) {
	if _, err := o.recurrentInputs(in); err != nil {
		return nil, err
	}
	out := []Shape{{in[0][0], in[0][1], o.NumOutput}}
	for len(out) < n {
		out = append(out, Shape{1, in[0][1], o.NumOutput})
	}
	return out, nil
}

// ParamShapes follows the order of the unrolled net Caffe builds.
// RNN: W_xh [H, X], b_h [H], (W_xh_static [H, S]), W_hh [H, H], W_ho [H, H],
// b_o [H]. LSTM: W_xc [4H, X], b_c [4H], (W_xc_static [4H, S]), W_hc [4H, H].
// X = count(x, 2), S = count(x_static, 1).
func (o *Recurrent) ParamShapes(in []Shape) ([]Shape, error) {
	static, err := o.recurrentInputs(in)
	if err != nil {
		return nil, err
	}
	h := o.NumOutput
	gates := h
	if o.Kind == "LSTM" {
		if gates, err = dimProduct("num_output", 4, h); err != nil {
			return nil, err
		}
	}
	x := in[0].CountRange(2, len(in[0]))
	out := []Shape{{gates, x}, {gates}}
	if static {
		out = append(out, Shape{gates, in[2].CountRange(1, len(in[2]))})
	}
	out = append(out, Shape{gates, h})
	if o.Kind == "RNN" {
		out = append(out, Shape{h, h}, Shape{h})
	}
	return out, nil
}

func (o *Recurrent) Fillers() []Filler { return o.fillersFor(2) }

func (o *Recurrent) fillersFor(nBottoms int) []Filler {
	hidden := 0
	if o.ExposeHidden {
		hidden = recurrentBlobs(o.Kind)
	}
	f := []Filler{o.WeightFiller, o.BiasFiller}
	if nBottoms > 2+hidden {
		f = append(f, o.WeightFiller)
	}
	f = append(f, o.WeightFiller)
	if o.Kind == "RNN" {
		f = append(f, o.WeightFiller, o.BiasFiller)
	}
	return f
}

// ---- LSTMUnit ----

func (o *LSTMUnit) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: bottoms c_prev [1, N, H], x [1, N, 4H], cont [1, N]; tops c and h
// take c_prev's shape.
func (o *LSTMUnit) infer(in []Shape, n int) ([]Shape, error) {
	for i, s := range in {
		want := 3
		if i == 2 {
			want = 2
		}
		if len(s) != want {
			return nil, ferr(fmt.Sprintf("bottom[%d]", i), "must have %d axes, got %v", want, s)
		}
		if s[0] != 1 || s[1] != in[0][1] {
			return nil, ferr(fmt.Sprintf("bottom[%d]", i), "must start with (1, %d), got %v", in[0][1], s)
		}
	}
	if in[1][2] != 4*in[0][2] {
		return nil, ferr("bottom[1]", "gate input must have 4 * %d = %d channels, got %v", in[0][2], 4*in[0][2], in[1])
	}
	return same(in[0], 2), nil
}
