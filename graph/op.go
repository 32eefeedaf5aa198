package graph

import "fmt"

// Op is a layer's typed, default-resolved configuration. Ops hold no
// weights (those are Node.Params) and no execution state.
type Op interface {
	// Type is the canonical Caffe layer type ("Convolution", "ReLU", ...).
	Type() string
	// InferShapes computes the top shapes from the bottom shapes, exactly as
	// Caffe's Reshape would, or explains why they are invalid. nTops is the
	// number of tops the layer declares.
	InferShapes(in []Shape, nTops int) ([]Shape, error)
}

// Parametric ops own parameter blobs whose shapes follow from the bottoms.
type Parametric interface {
	Op
	// ParamShapes gives the shapes of the parameter blobs Caffe creates,
	// in Caffe's order.
	ParamShapes(in []Shape) ([]Shape, error)
	// Fillers gives the filler for each parameter blob, in the same order.
	Fillers() []Filler
}

// VarianceNorm selects the fan used by the xavier and msra fillers.
type VarianceNorm int

const (
	FanIn VarianceNorm = iota
	FanOut
	Average
)

func (v VarianceNorm) String() string {
	return [...]string{"FAN_IN", "FAN_OUT", "AVERAGE"}[v]
}

// Filler is Caffe's FillerParameter with its defaults resolved.
type Filler struct {
	Type         string // constant (default), uniform, gaussian, positive_unitball, xavier, msra, bilinear
	Value        float32
	Min, Max     float32 // defaults 0, 1
	Mean, Std    float32 // defaults 0, 1
	Sparse       int     // -1 = dense
	VarianceNorm VarianceNorm
}

// String is a compact description such as "msra(FAN_IN)" or
// "gaussian(0,0.01)".
func (f Filler) String() string {
	switch f.Type {
	case "constant":
		return fmt.Sprintf("constant(%g)", f.Value)
	case "uniform":
		return fmt.Sprintf("uniform(%g,%g)", f.Min, f.Max)
	case "gaussian":
		s := fmt.Sprintf("gaussian(%g,%g)", f.Mean, f.Std)
		if f.Sparse >= 0 {
			s += fmt.Sprintf(" sparse=%d", f.Sparse)
		}
		return s
	case "xavier", "msra":
		return fmt.Sprintf("%s(%s)", f.Type, f.VarianceNorm)
	}
	return f.Type
}

// DefaultFiller is FillerParameter's all-default value (constant 0).
func DefaultFiller() Filler {
	return Filler{Type: "constant", Max: 1, Std: 1, Sparse: -1}
}
