package exec

// Test helpers for the second-section layers (activations, normalization,
// element-wise, reductions, fork layers).

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// xT builds a tensor of the given shape from values (row-major).
func xT(shape graph.Shape, vals ...float32) *graph.Tensor {
	if len(vals) != shape.Count() {
		panic(fmt.Sprintf("xT: %d values for shape %v", len(vals), shape))
	}
	return &graph.Tensor{Shape: shape.Clone(), Data: append([]float32(nil), vals...)}
}

// xRamp is a tensor holding start, start+step, ...
func xRamp(shape graph.Shape, start, step float32) *graph.Tensor {
	t := graph.NewTensor(shape)
	for i := range t.Data {
		t.Data[i] = start + step*float32(i)
	}
	return t
}

// xBuild infers the op's tops and builds the layer with the registry
// factory for typ.
func xBuild(typ string, op graph.Op, params []*graph.Tensor, nTops int, in []graph.Shape) (Layer, []graph.Shape, error) {
	out, err := op.InferShapes(in, nTops)
	if err != nil {
		return nil, nil, fmt.Errorf("infer: %v", err)
	}
	f, ok := registry[typ]
	if !ok {
		return nil, nil, fmt.Errorf("no factory registered for %q", typ)
	}
	l, err := f(&graph.Node{Name: "x", Type: typ, Op: op, Params: params}, in, out)
	return l, out, err
}

const xGuard = 5

// xRunErr builds the layer and runs it on ins with NaN-filled tops that sit
// between NaN guards (a write outside a top, or a top value left unwritten,
// shows up). When top 0 has bottom 0's size it also runs the layer in
// place (top 0 sharing bottom 0's buffer) and requires the same result.
func xRunErr(typ string, op graph.Op, params []*graph.Tensor, nTops int, ins ...*graph.Tensor) ([]*graph.Tensor, error) {
	in := make([]graph.Shape, len(ins))
	for i, x := range ins {
		in[i] = x.Shape
	}
	l, out, err := xBuild(typ, op, params, nTops, in)
	if err != nil {
		return nil, err
	}
	saved := make([][]float32, len(ins))
	for i, x := range ins {
		saved[i] = append([]float32(nil), x.Data...)
	}
	tops := make([]*graph.Tensor, len(out))
	backing := make([][]float32, len(out))
	for i, s := range out {
		all := make([]float32, s.Count()+2*xGuard)
		for j := range all {
			all[j] = float32(math.NaN())
		}
		backing[i] = all
		tops[i] = &graph.Tensor{Shape: s.Clone(), Data: all[xGuard : xGuard+s.Count()]}
	}
	if err := l.Forward(ins, tops); err != nil {
		return nil, err
	}
	for i, x := range ins {
		if !xSame(x.Data, saved[i]) {
			return nil, fmt.Errorf("forward modified bottom[%d]", i)
		}
	}
	resized := make([]bool, len(out))
	for i, all := range backing {
		n := len(tops[i].Data)
		if resized[i] = n != out[i].Count() || (n > 0 && !sameBuffer(tops[i].Data, all[xGuard:])); resized[i] {
			continue // the layer resized this top itself (DetectionOutput)
		}
		for j := 0; j < xGuard; j++ {
			if !math.IsNaN(float64(all[j])) || !math.IsNaN(float64(all[xGuard+n+j])) {
				return nil, fmt.Errorf("top[%d]: write outside the buffer", i)
			}
		}
	}
	if len(out) == 1 && len(ins) > 0 && out[0].Count() == len(ins[0].Data) && !resized[0] {
		inplace := append([]float32(nil), ins[0].Data...)
		b := append([]*graph.Tensor{{Shape: ins[0].Shape, Data: inplace}}, ins[1:]...)
		if err := l.Forward(b, []*graph.Tensor{{Shape: out[0], Data: inplace}}); err != nil {
			return nil, fmt.Errorf("in place: %v", err)
		}
		if !xSame(inplace, tops[0].Data) {
			return nil, fmt.Errorf("in place run gives %v, out of place %v", inplace, tops[0].Data)
		}
	}
	return tops, nil
}

func xRun(t *testing.T, typ string, op graph.Op, params []*graph.Tensor, ins ...*graph.Tensor) *graph.Tensor {
	t.Helper()
	tops, err := xRunErr(typ, op, params, 1, ins...)
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	return tops[0]
}

// xSame is bitwise equality (NaN equals NaN).
func xSame(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// xNear checks |got-want| <= tol·max(1, |want|) elementwise.
func xNear(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) && math.IsNaN(w) {
			continue
		}
		if !(math.Abs(g-w) <= tol*math.Max(1, math.Abs(w))) {
			t.Fatalf("%s: [%d] = %v, want %v\n got  %v\n want %v", what, i, got[i], want[i], got, want)
		}
	}
}

// xWantErr runs the layer and requires an error mentioning each fragment.
func xWantErr(t *testing.T, what, typ string, op graph.Op, params []*graph.Tensor, ins []*graph.Tensor, frags ...string) {
	t.Helper()
	in := make([]graph.Shape, len(ins))
	for i, x := range ins {
		in[i] = x.Shape
	}
	out, err := op.InferShapes(in, 1)
	if err != nil {
		// Shape inference may already reject it; the factory must too,
		// given any plausible top shape.
		out = []graph.Shape{in[0]}
	}
	var l Layer
	l, err = registry[typ](&graph.Node{Name: "x", Type: typ, Op: op, Params: params}, in, out)
	if err == nil {
		tops := []*graph.Tensor{graph.NewTensor(out[0])}
		err = l.Forward(ins, tops)
	}
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	var le *graph.LayerError
	if !errors.As(err, &le) {
		t.Fatalf("%s: error %v is not a LayerError", what, err)
	}
	for _, f := range frags {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("%s: error %q lacks %q", what, err, f)
		}
	}
}
