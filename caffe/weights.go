package caffe

import (
	"fmt"
	"strings"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// WeightReport says how a caffemodel matched the net it was loaded into.
type WeightReport struct {
	// Unused lists caffemodel layers with blobs that no net layer takes
	// (Caffe ignores them).
	Unused []string
	// Missing lists net layers with parameters the caffemodel did not
	// provide, directly or through a shared parameter (Caffe keeps their
	// filler values; here their Node.Params entries stay nil).
	Missing []string
	// Mismatch lists blob count and shape disagreements. Caffe refuses to
	// load such a model, and so does Load: when this is not empty, Load
	// returns a *WeightsError.
	Mismatch []string
	// Unchecked lists layers whose parameter shapes could not be computed
	// (shape inference did not reach them); their blobs were taken with
	// the shapes the caffemodel declares.
	Unchecked []string
}

// WeightsError is a caffemodel that does not fit the net (blob count or
// shape mismatch), as Caffe's CopyTrainedLayersFrom rejects it.
type WeightsError struct {
	File   string
	Report *WeightReport
}

func (e *WeightsError) Error() string {
	return fmt.Sprintf("%s: weights do not fit the net: %s", e.File, strings.Join(e.Report.Mismatch, "; "))
}

// paramSlot is the storage of one net parameter, shared by every layer
// whose `param { name }` refers to it (Caffe's ShareWeights: later layers
// use the owner's data, and copying into either writes both).
type paramSlot struct {
	owner  string // layer owning the storage
	data   []float32
	loaded bool
	tensor *graph.Tensor // made once, for every user with the owner's shape
	shape  graph.Shape   // the owner's expected shape (nil: unknown)
}

// paramRef is one layer's view of a slot.
type paramRef struct {
	slot  *paramSlot
	shape graph.Shape // this layer's expected shape (nil: unknown)
}

// expectedParams computes each node's parameter shapes from the inferred
// blob shapes. ok[i] is false where they are unknown: shape inference did
// not reach node i, or failed on it (that failure is reported by the
// caller's warning, and again whenever shapes are inferred).
func expectedParams(g *graph.Graph) (shapes [][]graph.Shape, ok []bool) {
	shapes = make([][]graph.Shape, len(g.Nodes))
	ok = make([]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		if _, unknown := n.Op.(*graph.Unknown); unknown {
			continue // a fork layer we cannot model may still own blobs
		}
		if _, param := n.Op.(graph.Parametric); !param {
			ok[i] = true
			continue
		}
		known := true
		for _, b := range n.Bottoms {
			if b.Shape == nil {
				known = false
			}
		}
		if !known {
			continue
		}
		s, err := graph.ParamShapesOf(n)
		if err != nil {
			continue
		}
		shapes[i], ok[i] = s, true
	}
	return shapes, ok
}

// shareParams resolves `param { name }` sharing as Caffe's Net::AppendParam:
// the first layer using a name owns the storage; later layers must have the
// owner's shape (or only its count with share_mode PERMISSIVE). layers are
// the LayerParameters the nodes were built from, in node order.
func shareParams(g *graph.Graph, layers []*caffepb.LayerParameter, shapes [][]graph.Shape, ok []bool) ([][]paramRef, error) {
	refs := make([][]paramRef, len(g.Nodes))
	byName := map[string]*paramSlot{}
	for i, n := range g.Nodes {
		if !ok[i] {
			continue
		}
		if len(n.ParamSpecs) > len(shapes[i]) {
			return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: "param",
				Err: fmt.Errorf("too many params specified: %d param entries for %d parameter blobs", len(n.ParamSpecs), len(shapes[i]))}
		}
		refs[i] = make([]paramRef, len(shapes[i]))
		for j, s := range shapes[i] {
			name := ""
			permissive := false
			if j < len(n.ParamSpecs) {
				name = n.ParamSpecs[j].Name
			}
			if i < len(layers) && j < len(layers[i].GetParam()) {
				permissive = layers[i].GetParam()[j].GetShareMode() == caffepb.ParamSpec_PERMISSIVE
			}
			owner := byName[name]
			if name == "" || owner == nil {
				slot := &paramSlot{owner: n.Name, shape: s}
				if name != "" {
					byName[name] = slot
				}
				refs[i][j] = paramRef{slot: slot, shape: s}
				continue
			}
			if permissive {
				if s.Count() != owner.shape.Count() {
					return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("param[%d]", j),
						Err: fmt.Errorf("cannot share param %q owned by layer %q: count mismatch (owner shape %v, this layer's %v)", name, owner.owner, owner.shape, s)}
				}
			} else if !s.Equal(owner.shape) {
				return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("param[%d]", j),
					Err: fmt.Errorf("cannot share param %q owned by layer %q: shape mismatch (owner shape %v, this layer's %v)", name, owner.owner, owner.shape, s)}
			}
			refs[i][j] = paramRef{slot: owner, shape: s}
		}
	}
	return refs, nil
}

// loadWeights copies the blobs of an upgraded caffemodel into the graph's
// Node.Params, as Caffe's Net::CopyTrainedLayersFrom: each caffemodel layer
// goes to the first net layer of the same name (others are ignored), must
// have exactly as many blobs as that layer has parameters, each accepted by
// Caffe's ShapeEquals (legacy 4-D dims compare right-aligned). A later
// caffemodel layer of the same name overwrites an earlier one, and writing
// a shared parameter writes it for every layer sharing it.
//
// file names the caffemodel in messages. Count/shape disagreements are all
// collected into the report (and returned as *WeightsError); a blob whose
// data does not match its own declared shape is an immediate error.
func loadWeights(g *graph.Graph, layers []*caffepb.LayerParameter, model *caffepb.NetParameter, file string) (*WeightReport, []string, error) {
	rep := &WeightReport{}
	var warnings []string
	shapes, ok := expectedParams(g)
	refs, err := shareParams(g, layers, shapes, ok)
	if err != nil {
		return nil, nil, err
	}
	first := map[string]int{}
	for i, n := range g.Nodes {
		if _, dup := first[n.Name]; !dup {
			first[n.Name] = i
		}
	}
	// Layers whose expected shapes are unknown keep what the file declares.
	unchecked := map[int][]paramRef{}
	seenUnused := map[string]bool{}
	for _, src := range model.GetLayer() {
		name := src.GetName()
		idx, found := first[name]
		if !found {
			if len(src.Blobs) > 0 && !seenUnused[name] {
				seenUnused[name] = true
				rep.Unused = append(rep.Unused, name)
			}
			continue
		}
		n := g.Nodes[idx]
		if !ok[idx] {
			if len(src.Blobs) == 0 {
				continue
			}
			rs := make([]paramRef, len(src.Blobs))
			for j, b := range src.Blobs {
				data, err := BlobData(b)
				if err != nil {
					return nil, nil, blobError(file, n, j, err)
				}
				s, _ := BlobShape(b)
				rs[j] = paramRef{slot: &paramSlot{owner: name, data: data, loaded: true, shape: s}, shape: s}
			}
			unchecked[idx] = rs
			continue
		}
		want := refs[idx]
		if len(src.Blobs) != len(want) {
			rep.Mismatch = append(rep.Mismatch, fmt.Sprintf("layer %q (%s): the caffemodel has %d blobs, the net expects %d", name, n.Type, len(src.Blobs), len(want)))
			continue
		}
		for j, b := range src.Blobs {
			if !LegacyShapeMatches(want[j].shape, b) {
				got, legacy := BlobShape(b)
				what := ""
				if legacy {
					what = " (legacy num/channels/height/width)"
				}
				rep.Mismatch = append(rep.Mismatch, fmt.Sprintf("layer %q (%s) param %d: the caffemodel blob has shape %v%s, the net expects %v",
					name, n.Type, j, graph.Shape(got), what, want[j].shape))
				continue
			}
			data, err := BlobData(b)
			if err != nil {
				return nil, nil, blobError(file, n, j, err)
			}
			slot := want[j].slot
			if len(data) != want[j].shape.Count() {
				return nil, nil, fmt.Errorf("%s: layer %q blob %d: %d values for shape %v", file, name, j, len(data), want[j].shape)
			}
			// The decoded caffemodel is private to the loader and dropped
			// afterwards, so the first copy of a parameter keeps its slice
			// (no second copy of a large model); later writes (duplicate
			// layers, sharers) copy into it as Caffe copies into the blob.
			if slot.data == nil {
				slot.data = data
			} else {
				copy(slot.data, data)
			}
			slot.loaded = true
		}
	}
	// Hand the loaded storage to the nodes.
	for i, n := range g.Nodes {
		if !ok[i] {
			rs := unchecked[i]
			n.Params = make([]*graph.Tensor, len(rs))
			for j, r := range rs {
				n.Params[j] = &graph.Tensor{Shape: graph.Shape(r.shape).Clone(), Data: r.slot.data}
			}
			if _, param := n.Op.(graph.Parametric); param || len(rs) > 0 {
				rep.Unchecked = append(rep.Unchecked, n.Name)
			}
			continue
		}
		if len(refs[i]) == 0 {
			n.Params = nil
			continue
		}
		n.Params = make([]*graph.Tensor, len(refs[i]))
		missing := false
		for j, r := range refs[i] {
			if !r.slot.loaded {
				missing = true
				continue
			}
			if r.shape.Equal(r.slot.shape) {
				if r.slot.tensor == nil {
					r.slot.tensor = &graph.Tensor{Shape: r.slot.shape.Clone(), Data: r.slot.data}
				}
				n.Params[j] = r.slot.tensor
			} else {
				// PERMISSIVE sharing: own shape, same storage.
				n.Params[j] = &graph.Tensor{Shape: r.shape.Clone(), Data: r.slot.data}
			}
		}
		if missing {
			rep.Missing = append(rep.Missing, n.Name)
		}
	}
	if len(rep.Unchecked) > 0 {
		warnings = append(warnings, fmt.Sprintf("%s: parameter shapes of %d layers could not be checked because their input shapes are unknown (first: %q); their blobs keep the shapes the caffemodel declares",
			file, len(rep.Unchecked), rep.Unchecked[0]))
	}
	if len(rep.Mismatch) > 0 {
		return rep, warnings, &WeightsError{File: file, Report: rep}
	}
	return rep, warnings, nil
}

// blobError reports a caffemodel blob whose values do not fit its own
// declared shape: the file is corrupt, whatever the net.
func blobError(file string, n *graph.Node, j int, err error) error {
	return &BinaryError{File: file, Kind: "caffemodel",
		Err: &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("blobs[%d]", j), Err: err}}
}
