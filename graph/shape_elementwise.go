package graph

import "fmt"

// Element-wise (Caffe "neuron") layers: the top has the bottom's shape.

func (o *ReLU) InferShapes(in []Shape, n int) ([]Shape, error)      { return checked(o, in, n) }
func (o *ReLU) infer(in []Shape, n int) ([]Shape, error)            { return same(in[0], n), nil }
func (o *ELU) InferShapes(in []Shape, n int) ([]Shape, error)       { return checked(o, in, n) }
func (o *ELU) infer(in []Shape, n int) ([]Shape, error)             { return same(in[0], n), nil }
func (o *Sigmoid) InferShapes(in []Shape, n int) ([]Shape, error)   { return checked(o, in, n) }
func (o *Sigmoid) infer(in []Shape, n int) ([]Shape, error)         { return same(in[0], n), nil }
func (o *TanH) InferShapes(in []Shape, n int) ([]Shape, error)      { return checked(o, in, n) }
func (o *TanH) infer(in []Shape, n int) ([]Shape, error)            { return same(in[0], n), nil }
func (o *AbsVal) InferShapes(in []Shape, n int) ([]Shape, error)    { return checked(o, in, n) }
func (o *AbsVal) infer(in []Shape, n int) ([]Shape, error)          { return same(in[0], n), nil }
func (o *BNLL) InferShapes(in []Shape, n int) ([]Shape, error)      { return checked(o, in, n) }
func (o *BNLL) infer(in []Shape, n int) ([]Shape, error)            { return same(in[0], n), nil }
func (o *Power) InferShapes(in []Shape, n int) ([]Shape, error)     { return checked(o, in, n) }
func (o *Power) infer(in []Shape, n int) ([]Shape, error)           { return same(in[0], n), nil }
func (o *Threshold) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }
func (o *Threshold) infer(in []Shape, n int) ([]Shape, error)       { return same(in[0], n), nil }
func (o *Swish) InferShapes(in []Shape, n int) ([]Shape, error)     { return checked(o, in, n) }
func (o *Swish) infer(in []Shape, n int) ([]Shape, error)           { return same(in[0], n), nil }
func (o *Clip) InferShapes(in []Shape, n int) ([]Shape, error)      { return checked(o, in, n) }
func (o *Clip) infer(in []Shape, n int) ([]Shape, error)            { return same(in[0], n), nil }
func (o *Dropout) InferShapes(in []Shape, n int) ([]Shape, error)   { return checked(o, in, n) }
func (o *Dropout) infer(in []Shape, n int) ([]Shape, error)         { return same(in[0], n), nil }
func (o *ReLU6) InferShapes(in []Shape, n int) ([]Shape, error)     { return checked(o, in, n) }
func (o *ReLU6) infer(in []Shape, n int) ([]Shape, error)           { return same(in[0], n), nil }

// checkBase is Caffe's Exp/Log check: base is -1 (meaning e) or positive.
func checkBase(base float32) error {
	if base != -1 && !(base > 0) {
		return ferr("base", "must be strictly positive (or -1 for e), got %v", base)
	}
	return nil
}

func (o *Exp) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }
func (o *Exp) infer(in []Shape, n int) ([]Shape, error) {
	if err := checkBase(o.Base); err != nil {
		return nil, err
	}
	return same(in[0], n), nil
}

func (o *Log) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }
func (o *Log) infer(in []Shape, n int) ([]Shape, error) {
	if err := checkBase(o.Base); err != nil {
		return nil, err
	}
	return same(in[0], n), nil
}

// ---- Eltwise ----

func (o *Eltwise) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: all bottoms must have one shape, which the top takes.
func (o *Eltwise) infer(in []Shape, n int) ([]Shape, error) {
	if len(o.Coeff) != 0 && len(o.Coeff) != len(in) {
		return nil, ferr("coeff", "Eltwise takes one coefficient per bottom blob: %d coefficients for %d bottoms", len(o.Coeff), len(in))
	}
	if len(o.Coeff) != 0 && o.Operation == EltwiseProd {
		return nil, ferr("coeff", "Eltwise takes coefficients only for SUM, not PROD")
	}
	if o.Operation < EltwiseProd || o.Operation > EltwiseMax {
		return nil, ferr("operation", "unknown Eltwise operation %d", int(o.Operation))
	}
	for i := 1; i < len(in); i++ {
		if !in[i].Equal(in[0]) {
			return nil, ferr(fmt.Sprintf("bottom[%d]", i), "shape %v differs from bottom[0] %v", in[i], in[0])
		}
	}
	return same(in[0], 1), nil
}

// ---- Softmax ----

func (o *Softmax) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }
func (o *Softmax) infer(in []Shape, n int) ([]Shape, error) {
	if _, err := CanonicalAxis(o.Axis, len(in[0])); err != nil {
		return nil, ferr("axis", "%v", err)
	}
	return same(in[0], 1), nil
}
