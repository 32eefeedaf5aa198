package exec

// Helpers shared by the factories of the second registry section
// (activations, normalization, element-wise, reductions, fork layers).

import (
	"fmt"

	"github.com/caffetool/caffetool/graph"
)

// opErr reports a problem with node n; field names the parameter, bottom or
// top at fault and may be empty.
func opErr(n *graph.Node, field, format string, a ...any) error {
	return &graph.LayerError{Layer: n.Name, Type: n.Type, Field: field, Err: fmt.Errorf(format, a...)}
}

// opAs returns n.Op as the op struct a factory expects. Going through any
// keeps the assertion independent of which methods the op implements.
func opAs[T any, PT interface{ *T }](n *graph.Node) (*T, error) {
	p, ok := any(n.Op).(PT)
	if !ok || p == nil {
		return nil, opErr(n, "", "op is %T, want %T", n.Op, PT(nil))
	}
	return (*T)(p), nil
}

// opArity checks the number of bottom and top shapes; maxIn < 0 means no
// upper bound.
func opArity(n *graph.Node, in, out []graph.Shape, minIn, maxIn, nOut int) error {
	if len(in) < minIn || (maxIn >= 0 && len(in) > maxIn) {
		switch {
		case maxIn == minIn:
			return opErr(n, "bottom", "takes %d bottom(s), got %d", minIn, len(in))
		case maxIn < 0:
			return opErr(n, "bottom", "takes at least %d bottom(s), got %d", minIn, len(in))
		default:
			return opErr(n, "bottom", "takes %d to %d bottoms, got %d", minIn, maxIn, len(in))
		}
	}
	if len(out) != nOut {
		return opErr(n, "top", "takes %d top(s), got %d", nOut, len(out))
	}
	return nil
}

// opParam returns parameter blob i of n, checking that it is loaded and
// holds want elements.
func opParam(n *graph.Node, i, want int) ([]float32, error) {
	field := fmt.Sprintf("blobs[%d]", i)
	if i >= len(n.Params) || n.Params[i] == nil {
		return nil, opErr(n, field, "parameter blob is missing (have %d)", len(n.Params))
	}
	p := n.Params[i]
	if len(p.Data) != want || p.Shape.Count() != want {
		return nil, opErr(n, field, "parameter blob has shape %v (%d values), want %d values", p.Shape, len(p.Data), want)
	}
	return p.Data, nil
}

// opIO remembers the element counts a layer was prepared for so Forward can
// refuse tensors of another size instead of indexing out of range.
type opIO struct {
	name, typ string
	in, out   []int // -1: any size (a top the layer resizes itself)
}

func newOpIO(n *graph.Node, in, out []graph.Shape) opIO {
	io := opIO{name: n.Name, typ: n.Type}
	for _, s := range in {
		io.in = append(io.in, s.Count())
	}
	for _, s := range out {
		io.out = append(io.out, s.Count())
	}
	return io
}

func (io *opIO) check(bottoms, tops []*graph.Tensor) error {
	fail := func(field, format string, a ...any) error {
		return &graph.LayerError{Layer: io.name, Type: io.typ, Field: field, Err: fmt.Errorf(format, a...)}
	}
	if len(bottoms) != len(io.in) || len(tops) != len(io.out) {
		return fail("", "forward got %d bottoms and %d tops, prepared for %d and %d",
			len(bottoms), len(tops), len(io.in), len(io.out))
	}
	for i, b := range bottoms {
		if b == nil || len(b.Data) != io.in[i] {
			return fail(fmt.Sprintf("bottom[%d]", i), "forward got %s, prepared for %d values", tensorSize(b), io.in[i])
		}
	}
	for i, t := range tops {
		if t == nil || (io.out[i] >= 0 && len(t.Data) != io.out[i]) {
			return fail(fmt.Sprintf("top[%d]", i), "forward got %s, prepared for %d values", tensorSize(t), io.out[i])
		}
	}
	return nil
}

func tensorSize(t *graph.Tensor) string {
	if t == nil {
		return "no tensor"
	}
	return fmt.Sprintf("%d values", len(t.Data))
}

// sameBuffer reports whether two slices start at the same element, i.e. a
// layer runs in place.
func sameBuffer(a, b []float32) bool {
	return len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
}

// inputCopy returns src, or a copy of it when dst shares its buffer, for
// layers that move values around and so cannot run in place directly.
func inputCopy(src, dst []float32) []float32 {
	if sameBuffer(src, dst) {
		return append([]float32(nil), src...)
	}
	return src
}

// sameCount checks that top 0 holds as many values as bottom 0.
func sameCount(n *graph.Node, in, out []graph.Shape) error {
	if in[0].Count() != out[0].Count() {
		return opErr(n, "top[0]", "shape %v does not match bottom shape %v", out[0], in[0])
	}
	return nil
}

// perChannelParam reads param idx as one value per channel, or as a single
// value broadcast to every channel when shared (PReLU and Normalize's
// channel_shared).
func perChannelParam(n *graph.Node, idx, channels int, shared bool) ([]float32, error) {
	want := channels
	if shared {
		want = 1
	}
	p, err := opParam(n, idx, want)
	if err != nil {
		return nil, err
	}
	out := make([]float32, channels)
	for c := range out {
		if shared {
			out[c] = p[0]
		} else {
			out[c] = p[c]
		}
	}
	return out, nil
}
