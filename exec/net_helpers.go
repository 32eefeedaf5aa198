package exec

import (
	"fmt"

	"github.com/caffetool/caffetool/graph"
)

// layerErr builds the error a factory or kernel returns about node n.
func coreErr(n *graph.Node, field, format string, a ...any) error {
	return &graph.LayerError{Layer: n.Name, Type: n.Type, Field: field, Err: fmt.Errorf(format, a...)}
}

// opOf asserts the node's op type.
func coreOp[T graph.Op](n *graph.Node) (T, error) {
	op, ok := n.Op.(T)
	if !ok {
		var zero T
		return zero, coreErr(n, "", "op is %T, want %T", n.Op, zero)
	}
	return op, nil
}

// checkArity verifies the bottom/top shape lists the factory received.
func coreArity(n *graph.Node, in, out []graph.Shape, minIn, maxIn, minOut, maxOut int) error {
	if len(in) < minIn || (maxIn >= 0 && len(in) > maxIn) {
		return coreErr(n, "bottom", "got %d bottoms", len(in))
	}
	if len(out) < minOut || (maxOut >= 0 && len(out) > maxOut) {
		return coreErr(n, "top", "got %d tops", len(out))
	}
	return nil
}

// param returns param blob i after checking its element count.
func coreParam(n *graph.Node, i, count int) ([]float32, error) {
	if i >= len(n.Params) || n.Params[i] == nil {
		return nil, coreErr(n, fmt.Sprintf("param[%d]", i), "parameter blob not loaded")
	}
	p := n.Params[i]
	if len(p.Data) != count {
		return nil, coreErr(n, fmt.Sprintf("param[%d]", i), "has %d elements (shape %v), want %d", len(p.Data), p.Shape, count)
	}
	return p.Data, nil
}

// checkTensors verifies at run time that the tensors handed to Forward have
// the element counts the layer was prepared for, so a caller outside Net
// gets an error rather than an index panic.
func checkTensorSizes(what string, ts []*graph.Tensor, counts []int) error {
	if len(ts) != len(counts) {
		return fmt.Errorf("got %d %ss, want %d", len(ts), what, len(counts))
	}
	for i, t := range ts {
		if t == nil || len(t.Data) != counts[i] {
			got := -1
			if t != nil {
				got = len(t.Data)
			}
			return fmt.Errorf("%s[%d] has %d elements, want %d", what, i, got, counts[i])
		}
	}
	return nil
}

func shapeCounts(shapes []graph.Shape) []int {
	c := make([]int, len(shapes))
	for i, s := range shapes {
		c[i] = s.Count()
	}
	return c
}

// ioSizes holds the element counts a layer expects and checks them per call.
type ioSizes struct{ in, out []int }

func newIOSizes(in, out []graph.Shape) ioSizes { return ioSizes{shapeCounts(in), shapeCounts(out)} }

func (s ioSizes) check(b, t []*graph.Tensor) error {
	if err := checkTensorSizes("bottom", b, s.in); err != nil {
		return err
	}
	return checkTensorSizes("top", t, s.out)
}

// scratchUser is a layer that needs a temporary buffer during Forward.
// Net hands every such layer one shared buffer (layers run one at a time);
// a layer used on its own allocates its buffer on first use.
type scratchUser interface {
	scratchLen() int
	setScratch(buf []float32)
}

// scratch is embedded by layers implementing scratchUser.
type scratch struct {
	n   int
	buf []float32
}

func (s *scratch) scratchLen() int          { return s.n }
func (s *scratch) setScratch(buf []float32) { s.buf = buf }

// get returns the first n elements of the buffer, allocating if needed.
func (s *scratch) get() []float32 {
	if len(s.buf) < s.n {
		s.buf = make([]float32, s.n)
	}
	return s.buf[:s.n]
}
