package exec

import "github.com/caffetool/caffetool/graph"

// Layer is one prepared layer. Forward reads the bottoms and writes every
// top; tops arrive allocated with their inferred shapes and must be fully
// overwritten. A top may share its buffer with a bottom when the runtime
// runs a layer in place, so element-wise layers must tolerate aliasing.
type Layer interface {
	Forward(bottoms, tops []*graph.Tensor) error
}

// Factory prepares a Layer for node n, whose bottoms have shapes in and
// whose tops have shapes out (from graph shape inference).
type Factory func(n *graph.Node, in, out []graph.Shape) (Layer, error)

// LayerFunc adapts a function to Layer.
type LayerFunc func(bottoms, tops []*graph.Tensor) error

func (f LayerFunc) Forward(b, t []*graph.Tensor) error { return f(b, t) }
