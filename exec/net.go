package exec

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/caffetool/caffetool/graph"
)

// Options tune a compiled Net.
type Options struct {
	// Observe, when set, is called after each layer runs, once per top,
	// with the value and its tensor (for dumps and comparisons). The tensor
	// is the net's own buffer: copy it to keep it past the next Forward.
	Observe func(v *graph.Value, t *graph.Tensor)
}

// UnsupportedError reports a layer whose type exec cannot run.
type UnsupportedError struct {
	Layer  string
	Type   string
	Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("layer %q: type %s cannot be run: %s", e.Layer, e.Type, e.Reason)
}

// Net is a graph prepared for CPU forward passes: one Layer per node and
// one tensor per blob version. Every in-place rewrite gets its own buffer,
// so each version stays observable after Forward. A Net is not safe for
// concurrent use.
type Net struct {
	g       *graph.Graph
	opts    Options
	nodes   []*graph.Node // g.Nodes as compiled (a later edit of g needs a new Compile)
	layers  []Layer       // aligned with nodes
	tensors map[*graph.Value]*graph.Tensor
	// bottoms and tops hold each node's tensors, aligned with nodes.
	bottoms, tops [][]*graph.Tensor
	inputs        []*graph.Value
}

// Compile prepares g, whose shapes must already be inferred
// (Graph.InferShapes), for forward passes. Every parameter blob must be
// loaded.
func Compile(g *graph.Graph, opts Options) (*Net, error) {
	net := &Net{g: g, opts: opts}
	if err := net.build(); err != nil {
		return nil, err
	}
	return net, nil
}

// build creates the layers and buffers from the graph's current shapes,
// replacing the previous ones only on success.
func (net *Net) build() error {
	g := net.g
	tensors := map[*graph.Value]*graph.Tensor{}
	var inputs []*graph.Value
	for _, n := range g.Nodes {
		for i, t := range n.Tops {
			if t.Shape == nil {
				return &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("top[%d]", i),
					Err: fmt.Errorf("blob %q has no shape; run Graph.InferShapes before Compile", t.Name())}
			}
			if _, ok := t.Shape.Count64(); !ok {
				return &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("top[%d]", i),
					Err: fmt.Errorf("blob %q shape %v exceeds the element limit", t.Name(), t.Shape)}
			}
			tensors[t] = graph.NewTensor(t.Shape)
		}
		switch n.Op.(type) {
		case *graph.Input, *graph.DataSource:
			inputs = append(inputs, n.Tops...)
		}
	}
	layers := make([]Layer, len(g.Nodes))
	maxScratch := 0
	for i, n := range g.Nodes {
		l, err := newLayer(n)
		if err != nil {
			return err
		}
		if s, ok := l.(scratchUser); ok {
			maxScratch = max(maxScratch, s.scratchLen())
		}
		layers[i] = l
	}
	buf := make([]float32, maxScratch)
	for _, l := range layers {
		if s, ok := l.(scratchUser); ok {
			s.setScratch(buf)
		}
	}
	bottoms := make([][]*graph.Tensor, len(g.Nodes))
	tops := make([][]*graph.Tensor, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, b := range n.Bottoms {
			bottoms[i] = append(bottoms[i], tensors[b])
		}
		for _, t := range n.Tops {
			tops[i] = append(tops[i], tensors[t])
		}
	}
	net.layers, net.tensors, net.inputs = layers, tensors, inputs
	net.bottoms, net.tops = bottoms, tops
	net.nodes = append([]*graph.Node(nil), g.Nodes...)
	return nil
}

// lookup finds the factory for a node: by the type string as written
// (aliases included), then by the op's canonical type.
func lookup(n *graph.Node) (Factory, error) {
	if f, ok := registry[n.Type]; ok {
		return f, nil
	}
	if n.Op != nil {
		if f, ok := registry[n.Op.Type()]; ok {
			return f, nil
		}
	}
	reason, ok := unsupported[n.Type]
	if !ok && n.Op != nil {
		reason, ok = unsupported[n.Op.Type()]
	}
	if !ok {
		reason = "unknown layer type"
		if _, loss := n.Op.(*graph.Loss); loss {
			reason = lossReason
		}
	}
	return nil, &UnsupportedError{Layer: n.Name, Type: n.Type, Reason: reason}
}

// newLayer checks the node's parameters and builds its Layer.
func newLayer(n *graph.Node) (Layer, error) {
	if n.Op == nil {
		return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Err: errors.New("layer has no op")}
	}
	f, err := lookup(n)
	if err != nil {
		return nil, err
	}
	for i, p := range n.Params {
		if p == nil {
			return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("param[%d]", i),
				Err: errors.New("parameter blob not loaded (no weights for it in the caffemodel, and not shared)")}
		}
		if len(p.Data) != p.Shape.Count() {
			return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("param[%d]", i),
				Err: fmt.Errorf("holds %d values for shape %v", len(p.Data), p.Shape)}
		}
	}
	want, err := graph.ParamShapesOf(n)
	if err != nil {
		return nil, err
	}
	if want != nil {
		if len(n.Params) < len(want) {
			return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("param[%d]", len(n.Params)),
				Err: fmt.Errorf("parameter blob not loaded (the layer has %d of its %d blobs)", len(n.Params), len(want))}
		}
		if len(n.Params) > len(want) {
			return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: "params",
				Err: fmt.Errorf("has %d parameter blobs, want %d", len(n.Params), len(want))}
		}
		for i, s := range want {
			if n.Params[i].Shape.Count() != s.Count() {
				return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("param[%d]", i),
					Err: fmt.Errorf("shape %v does not match the expected %v", n.Params[i].Shape, s)}
			}
		}
	}
	in := make([]graph.Shape, len(n.Bottoms))
	for i, b := range n.Bottoms {
		if b.Shape == nil {
			return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Field: fmt.Sprintf("bottom[%d]", i),
				Err: fmt.Errorf("blob %q has no shape; run Graph.InferShapes before Compile", b.Name())}
		}
		in[i] = b.Shape
	}
	out := make([]graph.Shape, len(n.Tops))
	for i, t := range n.Tops {
		out[i] = t.Shape
	}
	l, err := f(n, in, out)
	if err != nil {
		return nil, wrap(n, err)
	}
	return l, nil
}

// wrap names the layer in err unless it already does.
func wrap(n *graph.Node, err error) error {
	var le *graph.LayerError
	if errors.As(err, &le) && le.Layer == n.Name {
		return err
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) {
		return err
	}
	return &graph.LayerError{Layer: n.Name, Type: n.Type, Err: err}
}

// Forward copies the given arrays into the input blobs (tops of Input and
// data layers, by blob name; each shape must equal the inferred one) and
// runs every layer in order. Inputs not given keep their current contents,
// as in pycaffe where one writes net.blobs[name].data before forward().
func (net *Net) Forward(inputs map[string]*graph.Tensor) error {
	byName := map[string]*graph.Value{}
	for _, v := range net.inputs {
		byName[v.Blob] = v
	}
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := inputs[name]
		v, ok := byName[name]
		if !ok {
			return fmt.Errorf("input %q is not an input blob of the net (inputs: %s)", name, strings.Join(net.inputNames(), ", "))
		}
		if t == nil || !t.Shape.Equal(v.Shape) || len(t.Data) != v.Shape.Count() {
			got := "nil"
			if t != nil {
				got = t.Shape.String()
				if len(t.Data) != t.Shape.Count() {
					got += fmt.Sprintf(" (with %d values)", len(t.Data))
				}
			}
			return fmt.Errorf("input %q has shape %s, the net expects %s (reshape the net to change it)", name, got, v.Shape)
		}
		copy(net.tensors[v].Data, t.Data)
	}
	for i, n := range net.nodes {
		if err := run(n, net.layers[i], net.bottoms[i], net.tops[i]); err != nil {
			return err
		}
		if net.opts.Observe != nil {
			for j, t := range n.Tops {
				net.opts.Observe(t, net.tops[i][j])
			}
		}
	}
	return nil
}

// run calls one layer, turning an error or a panic into an error naming it.
func run(n *graph.Node, l Layer, bottoms, tops []*graph.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &graph.LayerError{Layer: n.Name, Type: n.Type,
				Err: fmt.Errorf("internal error in forward: %v", r)}
		}
	}()
	if err := l.Forward(bottoms, tops); err != nil {
		return wrap(n, err)
	}
	return nil
}

func (net *Net) inputNames() []string {
	s := make([]string, len(net.inputs))
	for i, v := range net.inputs {
		s[i] = v.Blob
	}
	return s
}

// Reshape re-infers every shape with the given input shapes (as
// Graph.InferShapes' override) and rebuilds the layers and buffers, like
// pycaffe's reshape after resizing an input blob. Blob contents are not
// kept. On error the net keeps its previous layers and buffers but the
// graph's shapes may already be updated.
func (net *Net) Reshape(shapes map[string]graph.Shape) error {
	if err := net.g.InferShapes(shapes); err != nil {
		return err
	}
	return net.build()
}

// Blob returns the newest version of the named blob (what pycaffe's
// net.blobs holds), or nil.
func (net *Net) Blob(name string) *graph.Tensor {
	v := net.g.Blob(name)
	if v == nil {
		return nil
	}
	return net.tensors[v]
}

// ValueTensor returns the tensor of one blob version, or nil.
func (net *Net) ValueTensor(v *graph.Value) *graph.Tensor { return net.tensors[v] }

// Params returns the parameter blobs of the named layer (nil if none or no
// such layer).
func (net *Net) Params(layer string) []*graph.Tensor {
	n := net.g.Node(layer)
	if n == nil {
		return nil
	}
	return n.Params
}

// Graph returns the compiled graph.
func (net *Net) Graph() *graph.Graph { return net.g }

// Inputs are the blobs Forward accepts: tops of Input and data layers.
func (net *Net) Inputs() []*graph.Value { return net.inputs }

// Outputs are the newest blob versions no layer consumes (pycaffe's
// net.outputs).
func (net *Net) Outputs() []*graph.Value { return net.g.Outputs() }
