package graph

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// shaper is implemented by every op: the op-specific part of InferShapes,
// called only after the arity and the bottom shapes were checked.
type shaper interface {
	Op
	infer(in []Shape, nTops int) ([]Shape, error)
}

// checked runs the checks common to every op around its shape rule: arity,
// sane bottom shapes, one shape per top, element-count bounds. The results
// are fresh slices (never aliasing a bottom) and never nil, so a scalar top
// is Shape{} rather than "unknown".
func checked(o shaper, in []Shape, nTops int) ([]Shape, error) {
	if err := CheckArity(o, len(in), nTops); err != nil {
		return nil, err
	}
	for i, s := range in {
		for _, d := range s {
			if d < 0 {
				return nil, ferr(fmt.Sprintf("bottom[%d]", i), "shape %v has a negative dimension", []int(s))
			}
		}
	}
	out, err := o.infer(in, nTops)
	if err != nil {
		return nil, err
	}
	if len(out) != nTops {
		return nil, fmt.Errorf("internal error: %s shape rule gave %d top shapes for %d tops", o.Type(), len(out), nTops)
	}
	res := make([]Shape, len(out))
	for i, s := range out {
		if err := checkShape(s); err != nil {
			return nil, ferr(fmt.Sprintf("top[%d]", i), "%v", err)
		}
		res[i] = make(Shape, len(s))
		copy(res[i], s)
	}
	return res, nil
}

// same returns n copies of s (for layers whose tops all take the bottom's shape).
func same(s Shape, n int) []Shape {
	out := make([]Shape, n)
	for i := range out {
		out[i] = s.Clone()
	}
	return out
}

// layerError wraps err as a LayerError for node n, lifting a field tag into
// LayerError.Field.
func layerError(n *Node, err error) error {
	var le *LayerError
	if errors.As(err, &le) {
		return err
	}
	typ := n.Type
	if typ == "" && n.Op != nil {
		typ = n.Op.Type()
	}
	out := &LayerError{Layer: n.Name, Type: typ, Err: err}
	if fe, ok := err.(*fieldError); ok {
		out.Field, out.Err = fe.Field, fe.Err
	}
	return out
}

// isSource reports whether op's tops come from outside the net, so that
// --input overrides apply to them.
func isSource(op Op) bool {
	switch op.(type) {
	case *Input, *DataSource:
		return true
	}
	return false
}

// InferShapes sets Value.Shape of every blob version, walking nodes in
// order as Caffe's Net::Init does. override replaces the shape of Input and
// data-layer tops by blob name (the CLI's --input name=N,C,H,W); naming any
// other blob is an error. It may be rerun (e.g. with other input shapes):
// all shapes are recomputed and nothing but Value.Shape is written.
func (g *Graph) InferShapes(override map[string]Shape) error {
	sources := map[string]bool{}
	for _, n := range g.Nodes {
		if n != nil && n.Op != nil && isSource(n.Op) {
			for _, t := range n.Tops {
				if t != nil {
					sources[t.Blob] = true
				}
			}
		}
	}
	var bad []string
	for name, s := range override {
		if !sources[name] {
			bad = append(bad, name)
			continue
		}
		for _, d := range s {
			if d <= 0 {
				return fmt.Errorf("--input %s=%v: dimensions must be positive", name, s)
			}
		}
		if err := checkShape(s); err != nil {
			return fmt.Errorf("--input %s: %v", name, err)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("--input names %s, which no Input or data layer produces", strings.Join(bad, ", "))
	}

	errs := g.walkShapes(override, false)
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// InferShapesPartial is InferShapes for inspection: it goes on past a
// failing layer, leaving the shapes that depend on it unknown (nil), and
// returns every root-cause error in layer order. Overrides are not checked.
func (g *Graph) InferShapesPartial(override map[string]Shape) []error {
	return g.walkShapes(override, true)
}

// walkShapes does the work of InferShapes; partial keeps going after an
// error and silently skips layers whose bottoms have no shape.
func (g *Graph) walkShapes(override map[string]Shape, partial bool) []error {
	var errs []error
	for _, v := range g.Values {
		if v != nil {
			v.Shape = nil
		}
	}
	known := make(map[*Value]bool, len(g.Values))
nodes:
	for i, n := range g.Nodes {
		fail := func(err error) bool {
			errs = append(errs, err)
			return !partial
		}
		if n == nil {
			if fail(fmt.Errorf("node %d is nil", i)) {
				return errs
			}
			continue
		}
		if n.Op == nil {
			if fail(layerError(n, errors.New("layer has no op"))) {
				return errs
			}
			continue
		}
		if err := CheckArity(n.Op, len(n.Bottoms), len(n.Tops)); err != nil {
			if fail(layerError(n, err)) {
				return errs
			}
			continue
		}
		in := make([]Shape, len(n.Bottoms))
		for j, b := range n.Bottoms {
			if b == nil || !known[b] {
				if partial && b != nil {
					continue nodes // a consequence of an earlier error
				}
				name := "?"
				if b != nil {
					name = b.Name()
				}
				if fail(layerError(n, ferr(fmt.Sprintf("bottom[%d]", j), "blob %q has no shape: it is not produced by an earlier layer", name))) {
					return errs
				}
				continue nodes
			}
			in[j] = b.Shape
		}
		for j, t := range n.Tops {
			if t == nil {
				if fail(layerError(n, ferr(fmt.Sprintf("top[%d]", j), "top is nil"))) {
					return errs
				}
				continue nodes
			}
		}
		var out []Shape
		var err error
		if isSource(n.Op) {
			out, err = sourceTops(n, override)
		} else {
			out, err = n.Op.InferShapes(in, len(n.Tops))
		}
		if err != nil {
			if fail(layerError(n, err)) {
				return errs
			}
			continue
		}
		for j, t := range n.Tops {
			t.Shape = out[j]
			known[t] = true
		}
	}
	return errs
}

// sourceTops gives the top shapes of an Input or data layer, preferring
// the override for each top that has one.
func sourceTops(n *Node, override map[string]Shape) ([]Shape, error) {
	decl, err := declaredShapes(n.Op, len(n.Tops))
	if err != nil {
		return nil, err
	}
	out := make([]Shape, len(n.Tops))
	for i, t := range n.Tops {
		if s, ok := override[t.Blob]; ok {
			out[i] = append(Shape{}, s...)
			continue
		}
		if decl[i] == nil && len(n.Bottoms) > 0 {
			// A Python layer with bottoms computes its tops in user code.
			return nil, ferr(fmt.Sprintf("top[%d]", i), "the shape of blob %q is computed by the layer's Python module and cannot be inferred", t.Blob)
		}
		if decl[i] == nil {
			return nil, ferr(fmt.Sprintf("top[%d]", i), "unknown input shape for blob %q; pass --input %s=N,C,H,W", t.Blob, t.Blob)
		}
		out[i] = decl[i]
	}
	for i, s := range out {
		if err := checkShape(s); err != nil {
			return nil, ferr(fmt.Sprintf("top[%d]", i), "%v", err)
		}
	}
	return out, nil
}

// inputShapes returns the shapes of n's bottoms, failing when shape
// inference has not set them.
func inputShapes(n *Node) ([]Shape, error) {
	in := make([]Shape, len(n.Bottoms))
	for i, b := range n.Bottoms {
		if b == nil || b.Shape == nil {
			return nil, ferr(fmt.Sprintf("bottom[%d]", i), "bottom shape unknown; run InferShapes first")
		}
		in[i] = b.Shape
	}
	return in, nil
}

// ParamShapesOf gives the shapes of node n's parameter blobs, in Caffe's
// order, from its bottoms' inferred shapes; nil for ops without params.
func ParamShapesOf(n *Node) ([]Shape, error) {
	p, ok := n.Op.(Parametric)
	if !ok {
		return nil, nil
	}
	in, err := inputShapes(n)
	if err != nil {
		return nil, layerError(n, err)
	}
	shapes, err := p.ParamShapes(in)
	if err != nil {
		return nil, layerError(n, err)
	}
	for i, s := range shapes {
		if err := checkShape(s); err != nil {
			return nil, layerError(n, ferr(fmt.Sprintf("param[%d]", i), "%v", err))
		}
	}
	return shapes, nil
}

// FillersOf gives the filler of each of node n's parameter blobs, aligned
// with ParamShapesOf. It differs from Parametric.Fillers where the param
// list depends on the bottoms (Scale with a second bottom keeps only its
// bias; Recurrent with a static input has an extra weight).
func FillersOf(n *Node) []Filler {
	p, ok := n.Op.(Parametric)
	if !ok {
		return nil
	}
	if f, ok := n.Op.(interface{ fillersFor(nBottoms int) []Filler }); ok {
		return f.fillersFor(len(n.Bottoms))
	}
	return p.Fillers()
}

// Every op has a shape rule; the parametric ones also give param shapes.
var (
	_ = []shaper{
		(*Input)(nil), (*DataSource)(nil), (*Parameter)(nil), (*Conv)(nil), (*Pool)(nil),
		(*SPP)(nil), (*InnerProduct)(nil), (*Embed)(nil), (*LRN)(nil), (*MVN)(nil),
		(*BatchNorm)(nil), (*Scale)(nil), (*Bias)(nil), (*ReLU)(nil), (*PReLU)(nil),
		(*ELU)(nil), (*Sigmoid)(nil), (*TanH)(nil), (*AbsVal)(nil), (*BNLL)(nil),
		(*Power)(nil), (*Exp)(nil), (*Log)(nil), (*Threshold)(nil), (*Swish)(nil),
		(*Clip)(nil), (*Dropout)(nil), (*ReLU6)(nil), (*Eltwise)(nil), (*Softmax)(nil),
		(*Concat)(nil), (*Slice)(nil), (*Split)(nil), (*Silence)(nil), (*Flatten)(nil),
		(*Reshape)(nil), (*Crop)(nil), (*Tile)(nil), (*Reduction)(nil), (*ArgMax)(nil),
		(*BatchReindex)(nil), (*Filter)(nil), (*Im2col)(nil), (*Loss)(nil), (*Accuracy)(nil),
		(*Recurrent)(nil), (*LSTMUnit)(nil), (*HDF5Output)(nil), (*Permute)(nil),
		(*Normalize)(nil), (*PriorBox)(nil), (*DetectionOutput)(nil), (*Interp)(nil),
		(*Upsample)(nil), (*ShuffleChannel)(nil), (*Unknown)(nil),
	}
	_ = []Parametric{
		(*Parameter)(nil), (*Conv)(nil), (*InnerProduct)(nil), (*Embed)(nil),
		(*BatchNorm)(nil), (*Scale)(nil), (*Bias)(nil), (*PReLU)(nil),
		(*Normalize)(nil), (*Recurrent)(nil),
	}
)
