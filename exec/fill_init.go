package exec

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/caffetool/caffetool/graph"
)

// seedStream is the fixed second word of the PCG state, so that one
// --seed value names one stream.
const seedStream = 0x9e3779b97f4a7c15

// NewRand returns the generator InitParams uses for seed.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seedStream))
}

// InitParams creates the parameter blobs of every parametric layer, as
// Caffe's layer SetUp does when no weights are loaded: shapes from
// graph.ParamShapesOf (so InferShapes must have run), values from the
// layer's fillers, drawn in layer order and param order from one PCG
// stream seeded with seed. BatchNorm's three statistics blobs are zeros
// whatever its fillers say, as in Caffe.
//
// Params shared by name (param { name: ... }) follow Caffe's Net: the first
// layer naming a param owns it, its filler is used, and every later layer
// naming it gets the owner's tensor (same pointer). Shapes must agree
// exactly (Caffe's default STRICT share mode).
//
// With onlyMissing, tensors already present (e.g. loaded from a
// caffemodel) are kept and only nil entries are created; a nil shared
// param takes the group's existing tensor (the owner's, else the first
// member's that has one, in layer order) before anything is filled.
//
// filled lists "layer[i]" for every tensor this call created with a
// filler, in fill order.
func InitParams(g *graph.Graph, seed uint64, onlyMissing bool) (filled []string, err error) {
	if err := checkParamBudget(g, onlyMissing); err != nil {
		return nil, err
	}
	rng := NewRand(seed)
	type owner struct {
		layer string
		shape graph.Shape
		t     *graph.Tensor
	}
	owners := map[string]*owner{}
	if onlyMissing {
		// Tensors already loaded for a shared name, first in layer order;
		// the owner's own tensor takes precedence below.
		for _, n := range g.Nodes {
			for i, t := range n.Params {
				if name := paramName(n, i); name != "" && t != nil {
					if _, seen := owners[name]; !seen {
						owners[name] = &owner{t: t}
					}
				}
			}
		}
	}
	claimed := map[string]bool{}
	for _, n := range g.Nodes {
		if _, ok := n.Op.(graph.Parametric); !ok {
			continue
		}
		shapes, err := graph.ParamShapesOf(n)
		if err != nil {
			return filled, err
		}
		fillers := graph.FillersOf(n)
		_, isBN := n.Op.(*graph.BatchNorm)
		if !isBN && len(fillers) != len(shapes) {
			return filled, paramErr(n, "", fmt.Errorf("internal error: %d fillers for %d param blobs", len(fillers), len(shapes)))
		}
		if len(n.Params) > len(shapes) {
			return filled, paramErr(n, "", fmt.Errorf("has %d param blobs, the layer makes %d", len(n.Params), len(shapes)))
		}
		for len(n.Params) < len(shapes) {
			n.Params = append(n.Params, nil)
		}
		conv, _ := n.Op.(*graph.Conv)
		deconv := conv != nil && conv.Deconv
		for i, s := range shapes {
			field := fmt.Sprintf("param[%d]", i)
			cur := n.Params[i]
			if cur != nil && onlyMissing && int64(len(cur.Data)) != int64(s.Count()) {
				return filled, paramErr(n, field, fmt.Errorf("existing blob has shape %v, the layer needs %v", cur.Shape, s))
			}
			name := paramName(n, i)
			if name != "" {
				o := owners[name]
				if claimed[name] {
					if !o.shape.Equal(s) {
						return filled, paramErr(n, field, fmt.Errorf("cannot share param %q owned by layer %q: shape %v here, %v there", name, o.layer, s, o.shape))
					}
					if cur == nil || !onlyMissing {
						n.Params[i] = o.t
					}
					continue
				}
				claimed[name] = true
				if o == nil {
					o = &owner{}
					owners[name] = o
				}
				o.layer, o.shape = n.Name, s
				if onlyMissing && cur != nil {
					o.t = cur // the owner's loaded tensor wins
				}
				if onlyMissing && o.t != nil {
					n.Params[i] = o.t
					continue
				}
			} else if onlyMissing && cur != nil {
				continue
			}
			t := graph.NewTensor(s)
			if !isBN {
				if err := Fill(t, fillers[i], rng, deconv); err != nil {
					return filled, paramErr(n, field, err)
				}
			}
			n.Params[i] = t
			if name != "" {
				owners[name].t = t
			}
			filled = append(filled, fmt.Sprintf("%s[%d]", n.Name, i))
		}
	}
	return filled, nil
}

func paramName(n *graph.Node, i int) string {
	if i < len(n.ParamSpecs) {
		return n.ParamSpecs[i].Name
	}
	return ""
}

func paramErr(n *graph.Node, field string, err error) error {
	var le *graph.LayerError
	if errors.As(err, &le) {
		return err
	}
	typ := n.Type
	if typ == "" && n.Op != nil {
		typ = n.Op.Type()
	}
	return &graph.LayerError{Layer: n.Name, Type: typ, Field: field, Err: err}
}
