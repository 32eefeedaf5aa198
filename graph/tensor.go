package graph

// Tensor is a dense float32 array in row-major (C) order.
type Tensor struct {
	Shape Shape
	Data  []float32
}

// NewTensor allocates a zeroed tensor.
func NewTensor(shape Shape) *Tensor {
	return &Tensor{Shape: shape.Clone(), Data: make([]float32, shape.Count())}
}

// Clone deep-copies the tensor.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: t.Shape.Clone(), Data: append([]float32(nil), t.Data...)}
}
