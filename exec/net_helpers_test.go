package exec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

const coreGuardLen = 7 // NaN sentinels on each side of every top buffer

// coreGuarded is a top tensor whose Data sits inside a larger NaN-filled
// slice, so writes past either end are detected (Go lets a kernel slice up
// to the capacity, which extends into the trailing guard).
type coreGuarded struct {
	t   *graph.Tensor
	all []float32
}

func newCoreGuarded(s graph.Shape) coreGuarded {
	n := s.Count()
	all := make([]float32, coreGuardLen+n+coreGuardLen)
	for i := range all {
		all[i] = float32(math.NaN())
	}
	return coreGuarded{t: &graph.Tensor{Shape: s.Clone(), Data: all[coreGuardLen : coreGuardLen+n]}, all: all}
}

func (g coreGuarded) intact() error {
	n := len(g.t.Data)
	for i := 0; i < coreGuardLen; i++ {
		if !math.IsNaN(float64(g.all[i])) || !math.IsNaN(float64(g.all[coreGuardLen+n+i])) {
			return fmt.Errorf("write outside the top buffer (coreGuardLen %d)", i)
		}
	}
	return nil
}

// node makes a graph node for direct factory calls.
func coreNode(typ string, op graph.Op, params ...*graph.Tensor) *graph.Node {
	return &graph.Node{Name: "L", Type: typ, Op: op, Params: params}
}

// forward infers the op's top shapes, builds the layer with the registry
// factory for typ and runs it once on the inputs with coreGuarded tops, all
// initialised to NaN so a top left partly unwritten shows up.
func coreRun(t *testing.T, typ string, op graph.Op, params []*graph.Tensor, nTops int, ins ...*graph.Tensor) []*graph.Tensor {
	t.Helper()
	out, err := coreRunErr(typ, op, params, nTops, ins...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func coreRunErr(typ string, op graph.Op, params []*graph.Tensor, nTops int, ins ...*graph.Tensor) ([]*graph.Tensor, error) {
	in := make([]graph.Shape, len(ins))
	for i, x := range ins {
		in[i] = x.Shape
	}
	out, err := op.InferShapes(in, nTops)
	if err != nil {
		return nil, fmt.Errorf("infer: %v", err)
	}
	f, ok := registry[typ]
	if !ok {
		return nil, fmt.Errorf("no factory for %s", typ)
	}
	l, err := f(coreNode(typ, op, params...), in, out)
	if err != nil {
		return nil, err
	}
	tops := make([]coreGuarded, len(out))
	tt := make([]*graph.Tensor, len(out))
	for i, s := range out {
		tops[i] = newCoreGuarded(s)
		tt[i] = tops[i].t
	}
	if err := l.Forward(ins, tt); err != nil {
		return nil, err
	}
	for i, g := range tops {
		if err := g.intact(); err != nil {
			return nil, fmt.Errorf("top[%d]: %v", i, err)
		}
	}
	return tt, nil
}

func coreRand(r *rand.Rand, s ...int) *graph.Tensor {
	t := graph.NewTensor(graph.Shape(s))
	for i := range t.Data {
		t.Data[i] = r.Float32()*2 - 1
	}
	return t
}

func coreSeq(s ...int) *graph.Tensor {
	t := graph.NewTensor(graph.Shape(s))
	for i := range t.Data {
		t.Data[i] = float32(i)
	}
	return t
}

// closeTo checks |got-want| <= tol·max(1,|want|) elementwise (NaN must
// match NaN).
func coreClose(got, want []float32, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		if !(math.Abs(g-w) <= tol*math.Max(1, math.Abs(w))) {
			return fmt.Errorf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

func coreExact(got, want []float32) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return fmt.Errorf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}
