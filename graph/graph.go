package graph

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Value is one version of a Caffe blob. An in-place layer (bottom == top)
// reads version k of a blob and writes version k+1 under the same name, so
// every step of a chain such as conv1 → BatchNorm → Scale → ReLU stays
// addressable. The last version is what pycaffe's net.blobs holds.
type Value struct {
	ID        int
	Blob      string // Caffe blob name
	Version   int    // 0 for the first producer, +1 per in-place rewrite
	Producer  *Node
	Consumers []*Node
	Shape     Shape // set by InferShapes
}

// Name is the blob name, suffixed with #version for versions after the first.
func (v *Value) Name() string {
	if v.Version == 0 {
		return v.Blob
	}
	return fmt.Sprintf("%s#%d", v.Blob, v.Version)
}

// ParamSpec is a layer's `param {}` entry for one parameter blob.
type ParamSpec struct {
	Name      string // non-empty when shared by name with other layers
	LrMult    float32
	DecayMult float32
}

// Node is one layer.
type Node struct {
	Index   int    // position in Graph.Nodes
	Name    string // layer name
	Type    string // the type string as written in the file (aliases kept)
	Op      Op
	Bottoms []*Value
	Tops    []*Value
	// Params holds the parameter blobs in Caffe's order (weights, bias, ...);
	// nil entries are params not (yet) loaded.
	Params     []*Tensor
	ParamSpecs []ParamSpec
	// LossWeights as written (empty when unset).
	LossWeights []float32
}

// InPlace reports whether top i rewrites a blob the node also reads.
func (n *Node) InPlace(i int) bool {
	t := n.Tops[i]
	for _, b := range n.Bottoms {
		if b.Blob == t.Blob {
			return true
		}
	}
	return false
}

// Graph is a Caffe net after phase filtering and upgrading: nodes in file
// (topological) order.
type Graph struct {
	Name   string
	Nodes  []*Node
	Values []*Value
	// latest maps a blob name to its newest version.
	latest map[string]*Value
}

// New returns an empty graph.
func New(name string) *Graph {
	return &Graph{Name: name, latest: map[string]*Value{}}
}

// Blob returns the newest version of a blob, or nil.
func (g *Graph) Blob(name string) *Value {
	if g.latest == nil {
		g.reindex()
	}
	return g.latest[name]
}

// Node returns the first node with the given layer name, or nil.
func (g *Graph) Node(name string) *Node {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// LayerError is an error about one layer.
type LayerError struct {
	Layer string
	Type  string
	Field string // optional: the parameter or bottom/top at fault
	Err   error
}

func (e *LayerError) Error() string {
	typ := e.Type
	if strings.ContainsFunc(typ, func(r rune) bool { return !unicode.IsPrint(r) }) {
		typ = strconv.Quote(typ) // keep the message on one line
	}
	s := fmt.Sprintf("layer %q (%s)", e.Layer, typ)
	if e.Field != "" {
		s += " " + e.Field
	}
	return s + ": " + e.Err.Error()
}

func (e *LayerError) Unwrap() error { return e.Err }

// Add appends a layer reading the newest versions of the named bottoms and
// writing the named tops. A top that names one of the layer's bottoms is an
// in-place rewrite (a new version); any other top that already exists is an
// error, as in Caffe ("produced by multiple sources").
func (g *Graph) Add(n *Node, bottoms, tops []string) error {
	if g.latest == nil {
		g.reindex()
	}
	fail := func(field string, f string, a ...any) error {
		return &LayerError{Layer: n.Name, Type: n.Type, Field: field, Err: fmt.Errorf(f, a...)}
	}
	n.Bottoms = n.Bottoms[:0]
	n.Tops = n.Tops[:0]
	isBottom := map[string]bool{}
	for i, b := range bottoms {
		v := g.latest[b]
		if v == nil {
			return fail(fmt.Sprintf("bottom[%d]", i), "unknown bottom blob %q", b)
		}
		n.Bottoms = append(n.Bottoms, v)
		isBottom[b] = true
	}
	seen := map[string]bool{}
	for i, t := range tops {
		if seen[t] {
			return fail(fmt.Sprintf("top[%d]", i), "top blob %q listed twice", t)
		}
		seen[t] = true
		version := 0
		if old := g.latest[t]; old != nil {
			if !isBottom[t] {
				return fail(fmt.Sprintf("top[%d]", i), "top blob %q is produced by multiple layers (%q and this one)", t, producerName(old))
			}
			version = old.Version + 1
		}
		v := &Value{ID: len(g.Values), Blob: t, Version: version, Producer: n}
		g.Values = append(g.Values, v)
		n.Tops = append(n.Tops, v)
	}
	for _, b := range n.Bottoms {
		b.Consumers = append(b.Consumers, n)
	}
	for _, v := range n.Tops {
		g.latest[v.Blob] = v
	}
	n.Index = len(g.Nodes)
	g.Nodes = append(g.Nodes, n)
	return nil
}

func producerName(v *Value) string {
	if v.Producer == nil {
		return "?"
	}
	return v.Producer.Name
}

// reindex rebuilds derived indexes (latest versions, consumers, node
// indexes) after a pass edited nodes.
func (g *Graph) reindex() {
	g.latest = map[string]*Value{}
	for _, v := range g.Values {
		v.Consumers = nil
	}
	for i, n := range g.Nodes {
		n.Index = i
		for _, b := range n.Bottoms {
			b.Consumers = append(b.Consumers, n)
		}
		for _, t := range n.Tops {
			if cur := g.latest[t.Blob]; cur == nil || t.Version >= cur.Version {
				g.latest[t.Blob] = t
			}
		}
	}
}

// Reindex must be called after nodes or values were edited directly.
func (g *Graph) Reindex() { g.reindex() }

// Outputs are the newest versions of blobs that no layer consumes, in
// production order (Caffe's net.outputs).
func (g *Graph) Outputs() []*Value {
	var out []*Value
	for _, v := range g.Values {
		if len(v.Consumers) == 0 && g.Blob(v.Blob) == v && v.Producer != nil {
			out = append(out, v)
		}
	}
	return out
}

// Inputs are the tops of Input-like layers (Caffe's net.inputs for Input layers).
func (g *Graph) Inputs() []*Value {
	var in []*Value
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*Input); ok {
			in = append(in, n.Tops...)
		}
	}
	return in
}
