package graph

import (
	"errors"
	"fmt"
)

// noInPlace lists the layers Caffe refuses to run in place (their Reshape
// CHECKs top != bottom).
func noInPlace(op Op) bool {
	switch op.(type) {
	case *Flatten, *Reshape, *Split:
		return true
	}
	return false
}

// Validate reports structural problems Graph.Add does not catch: nodes
// without an op, broken links between nodes and values, wrong bottom/top
// counts, in-place use Caffe forbids, loss_weight counts, and — for nodes
// whose bottoms have inferred shapes — param_spec counts and the number and
// shapes of loaded parameter blobs. All problems found are joined.
func (g *Graph) Validate() error {
	var errs []error
	for i, n := range g.Nodes {
		if n == nil {
			errs = append(errs, fmt.Errorf("node %d is nil", i))
			continue
		}
		fail := func(field, format string, a ...any) {
			errs = append(errs, layerError(n, ferr(field, format, a...)))
		}
		if n.Op == nil {
			errs = append(errs, layerError(n, errors.New("layer has no op")))
			continue
		}
		if n.Index != i {
			fail("", "node index %d does not match its position %d (call Reindex after editing nodes)", n.Index, i)
		}
		if err := CheckArity(n.Op, len(n.Bottoms), len(n.Tops)); err != nil {
			errs = append(errs, layerError(n, err))
		}
		links := true
		for j, b := range n.Bottoms {
			field := fmt.Sprintf("bottom[%d]", j)
			switch {
			case b == nil:
				fail(field, "bottom is nil")
				links = false
			case b.Producer == nil:
				fail(field, "blob %q has no producing layer", b.Name())
				links = false
			case b.Producer.Index >= i || b.Producer.Index < 0 || g.Nodes[b.Producer.Index] != b.Producer:
				fail(field, "blob %q is not produced by an earlier layer of this graph", b.Name())
				links = false
			}
		}
		for j, t := range n.Tops {
			field := fmt.Sprintf("top[%d]", j)
			switch {
			case t == nil:
				fail(field, "top is nil")
				links = false
			case t.Producer != n:
				fail(field, "blob %q names another layer as its producer", t.Name())
				links = false
			case noInPlace(n.Op) && n.InPlace(j):
				fail(field, "%s does not allow in-place computation (blob %q)", n.Op.Type(), t.Blob)
			}
		}
		if len(n.LossWeights) != 0 && len(n.LossWeights) != len(n.Tops) {
			fail("loss_weight", "must be unspecified or given once per top blob: %d values for %d tops", len(n.LossWeights), len(n.Tops))
		}
		if links {
			errs = append(errs, validateParams(n)...)
		}
	}
	for _, v := range g.Values {
		if v == nil || v.Producer == nil {
			continue
		}
		found := false
		for _, t := range v.Producer.Tops {
			found = found || t == v
		}
		if !found {
			errs = append(errs, fmt.Errorf("blob %q names layer %q as producer, which does not list it as a top", v.Name(), v.Producer.Name))
		}
	}
	return errors.Join(errs...)
}

// validateParams checks param_spec counts and loaded parameter blobs
// against the shapes Caffe would create. It needs the bottoms' shapes and
// is skipped when they have not been inferred.
func validateParams(n *Node) []error {
	for _, b := range n.Bottoms {
		if b.Shape == nil {
			return nil
		}
	}
	fail := func(field, format string, a ...any) error {
		return layerError(n, ferr(field, format, a...))
	}
	want, err := ParamShapesOf(n)
	if err != nil {
		return []error{err}
	}
	var errs []error
	if len(n.ParamSpecs) > len(want) {
		errs = append(errs, fail("param", "too many param specs: %d given, the layer has %d parameter blobs", len(n.ParamSpecs), len(want)))
	}
	if len(n.Params) == 0 {
		return errs
	}
	if len(n.Params) != len(want) {
		return append(errs, fail("blobs", "has %d parameter blobs, want %d (%v)", len(n.Params), len(want), want))
	}
	for i, p := range n.Params {
		field := fmt.Sprintf("param[%d]", i)
		switch {
		case p == nil:
			// Not loaded yet.
		case !p.Shape.Equal(want[i]):
			errs = append(errs, fail(field, "shape %v, want %v", p.Shape, want[i]))
		case len(p.Data) != want[i].Count():
			errs = append(errs, fail(field, "holds %d values for shape %v (%d elements)", len(p.Data), p.Shape, want[i].Count()))
		}
	}
	return errs
}
