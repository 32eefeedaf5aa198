package exec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caffetool/caffetool/exec/internal/gemm"
	"github.com/caffetool/caffetool/graph"
)

// Options tune a compiled Net.
type Options struct {
	// Observe, when set, is called after each layer runs, once per top,
	// with the value and its tensor (for dumps and comparisons). The tensor
	// is the net's own buffer, valid during the call: copy it to keep it.
	// With Observe set, no layer is fused into another and every Concat
	// copies, so every value is computed and seen.
	Observe func(v *graph.Value, t *graph.Tensor)
	// Threads is the number of goroutines a layer may use; 0 (or less)
	// means runtime.GOMAXPROCS(0). The GEMM's share of it is set
	// process-wide at each Forward.
	Threads int
	// Keep names the values that must stay readable after Forward (Blob,
	// ValueTensor): a value name ("conv1#1"; "conv1#0" is version 0) or a
	// blob name, which keeps every version of the blob. The net's inputs
	// and outputs are always kept. Other values share buffers: a buffer is
	// reused once the last layer reading its value has run, and element-
	// wise layers write over their input when nothing else needs it.
	Keep []string
	// KeepAll keeps every value (dumps, comparisons): no buffer is reused
	// and nothing is fused or overwritten.
	KeepAll bool
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
// one tensor per blob version, the tensors sharing buffers as planned at
// compile time (plan.go). A Net is not safe for concurrent use.
type Net struct {
	g      *graph.Graph
	opts   Options
	nodes  []*graph.Node // g.Nodes as compiled (a later edit of g needs a new Compile)
	layers []Layer       // aligned with nodes
	kinds  []nodeKind    // aligned with nodes
	// fusedInto maps a fused node to the convolution that computes it.
	fusedInto map[*graph.Node]*graph.Node
	tensors   map[*graph.Value]*graph.Tensor
	// visible holds the values whose tensors hold their value after
	// Forward (kept, inputs, outputs).
	visible map[*graph.Value]bool
	// bottoms and tops hold each node's tensors, aligned with nodes.
	bottoms, tops [][]*graph.Tensor
	inputs        []*graph.Value
	inputTensors  map[string]*graph.Tensor
	mem           MemoryStats
	par           *parallel
}

// MemoryStats describes the activation buffers of a compiled net (the
// layers' shared scratch buffer, e.g. im2col columns, not included).
type MemoryStats struct {
	// Bytes is the size of the activation buffers: the peak activation
	// memory of a forward pass.
	Bytes int64
	// Unplanned is what one buffer per blob version would take.
	Unplanned int64
	// Buffers is the number of activation buffers.
	Buffers int
	// Scratch is the size of the scratch buffer the layers share.
	Scratch int64
}

// Memory reports the activation memory of the net.
func (net *Net) Memory() MemoryStats { return net.mem }

// Role says how node n runs: "" when its layer runs on its own, "view"
// when it only relabels or copies data and shares its bottom's buffer
// instead of running (Reshape, Flatten, Split, Dropout at test time; a
// Concat whose bottoms are computed straight into its output),
// "fused into X" when convolution X computes it in its output pass.
func (net *Net) Role(n *graph.Node) string {
	if c := net.fusedInto[n]; c != nil {
		return "fused into " + c.Name
	}
	for i, m := range net.nodes {
		if m == n && net.kinds[i] == kindView {
			return "view"
		}
	}
	return ""
}

// Compile prepares g, whose shapes must already be inferred
// (Graph.InferShapes), for forward passes. Every parameter blob must be
// loaded.
func Compile(g *graph.Graph, opts Options) (*Net, error) {
	net := &Net{g: g, opts: opts, par: newParallel(opts.Threads)}
	if err := net.build(); err != nil {
		return nil, err
	}
	return net, nil
}

// build creates the layers and buffers from the graph's current shapes,
// replacing the previous ones only on success.
func (net *Net) build() error {
	g := net.g
	var inputs []*graph.Value
	var unplanned int64
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
			unplanned += 4 * int64(t.Shape.Count())
		}
		switch n.Op.(type) {
		case *graph.Input, *graph.DataSource:
			inputs = append(inputs, n.Tops...)
		}
	}
	kept, err := net.keptFunc(inputs)
	if err != nil {
		return err
	}
	nodes := append([]*graph.Node(nil), g.Nodes...)
	layers := make([]Layer, len(nodes))
	kinds := make([]nodeKind, len(nodes))
	maxScratch := 0
	for i, n := range nodes {
		l, err := newLayer(n)
		if err != nil {
			return err
		}
		if s, ok := l.(scratchUser); ok {
			maxScratch = max(maxScratch, s.scratchLen())
		}
		if t, ok := l.(threadUser); ok {
			t.setParallel(net.par)
		}
		layers[i], kinds[i] = l, nodeKindOf(n, l)
	}
	var fused map[*graph.Node]*graph.Node
	var views map[*graph.Value]sliceView
	if net.opts.Observe == nil {
		fused = fuseChains(nodes, layers, kinds, kept)
		views = concatViews(nodes, layers, kinds, kept)
	}
	plan := planMemory(nodes, layers, kinds, kept, views)
	if err := checkBudget(g, plan.bytes(), 4*int64(maxScratch)); err != nil {
		return err
	}
	buffers := make([][]float32, len(plan.sizes))
	for i, n := range plan.sizes {
		buffers[i] = make([]float32, n)
	}
	tensors := map[*graph.Value]*graph.Tensor{}
	visible := map[*graph.Value]bool{}
	for _, n := range nodes {
		for _, t := range n.Tops {
			n, o := t.Shape.Count(), plan.off[t] // capacity n too: a layer that resizes its top cannot reach past it
			tensors[t] = &graph.Tensor{Shape: t.Shape.Clone(), Data: buffers[plan.slot[t]][o : o+n : o+n]}
			if kept(t) {
				visible[t] = true
			}
		}
	}
	buf := make([]float32, maxScratch)
	for _, l := range layers {
		if s, ok := l.(scratchUser); ok {
			s.setScratch(buf)
		}
	}
	bottoms := make([][]*graph.Tensor, len(nodes))
	tops := make([][]*graph.Tensor, len(nodes))
	for i, n := range nodes {
		for _, b := range n.Bottoms {
			bottoms[i] = append(bottoms[i], tensors[b])
		}
		for _, t := range n.Tops {
			tops[i] = append(tops[i], tensors[t])
		}
	}
	inputTensors := map[string]*graph.Tensor{}
	for _, v := range inputs {
		inputTensors[v.Blob] = tensors[v]
	}
	net.nodes, net.layers, net.kinds, net.fusedInto = nodes, layers, kinds, fused
	net.tensors, net.visible, net.inputs, net.inputTensors = tensors, visible, inputs, inputTensors
	net.bottoms, net.tops = bottoms, tops
	net.mem = MemoryStats{Bytes: plan.bytes(), Unplanned: unplanned, Buffers: len(plan.sizes), Scratch: 4 * int64(maxScratch)}
	return nil
}

// keptFunc resolves Options.Keep against the graph: the returned function
// reports whether a value must stay readable. Inputs and the net's
// outputs always do.
func (net *Net) keptFunc(inputs []*graph.Value) (func(*graph.Value) bool, error) {
	if net.opts.KeepAll {
		return func(*graph.Value) bool { return true }, nil
	}
	keep := map[*graph.Value]bool{}
	for _, v := range inputs {
		keep[v] = true
	}
	for _, v := range net.g.Outputs() {
		keep[v] = true
	}
	byValue := map[string]*graph.Value{}
	byBlob := map[string][]*graph.Value{}
	for _, v := range net.g.Values {
		byValue[v.Name()] = v
		if v.Version == 0 {
			byValue[v.Blob+"#0"] = v
		}
		byBlob[v.Blob] = append(byBlob[v.Blob], v)
	}
	for _, name := range net.opts.Keep {
		vs := byBlob[name]
		if v := byValue[name]; v != nil {
			vs = append(vs, v)
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("Options.Keep: the net has no blob or value named %q", name)
		}
		for _, v := range vs {
			keep[v] = true
		}
	}
	return func(v *graph.Value) bool { return keep[v] }, nil
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
	return net.forward(inputs, nil)
}

func (net *Net) forward(inputs map[string]*graph.Tensor, times []time.Duration) error {
	// Check every array before copying any, so a bad call changes nothing.
	for name, t := range inputs {
		dst, ok := net.inputTensors[name]
		if !ok {
			return fmt.Errorf("input %q is not an input blob of the net (inputs: %s)", name, strings.Join(net.inputNames(), ", "))
		}
		if t == nil || !t.Shape.Equal(dst.Shape) || len(t.Data) != len(dst.Data) {
			got := "nil"
			if t != nil {
				got = t.Shape.String()
				if len(t.Data) != t.Shape.Count() {
					got += fmt.Sprintf(" (with %d values)", len(t.Data))
				}
			}
			return fmt.Errorf("input %q has shape %s, the net expects %s (reshape the net to change it)", name, got, dst.Shape)
		}
	}
	for name, t := range inputs {
		copy(net.inputTensors[name].Data, t.Data)
	}
	// The GEMM splits its own work; its goroutine budget is process-wide,
	// so each forward pass sets it to this net's.
	gemm.SetThreads(net.par.Threads())
	for i, n := range net.nodes {
		var t0 time.Time
		if times != nil {
			t0 = time.Now()
		}
		if k := net.kinds[i]; k != kindView && k != kindFused {
			if err := run(n, net.layers[i], net.bottoms[i], net.tops[i]); err != nil {
				return err
			}
		}
		if times != nil {
			times[i] = time.Since(t0)
		}
		if net.opts.Observe != nil {
			for j, t := range n.Tops {
				net.opts.Observe(t, net.tops[i][j])
			}
		}
	}
	return nil
}

// ForwardTimed is Forward that also stores each node's wall time in
// times, aligned with Graph().Nodes (0 for nodes that do not run on their
// own; see Role).
func (net *Net) ForwardTimed(inputs map[string]*graph.Tensor, times []time.Duration) error {
	if len(times) != len(net.nodes) {
		return fmt.Errorf("ForwardTimed: %d times for %d nodes", len(times), len(net.nodes))
	}
	return net.forward(inputs, times)
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
// net.blobs holds), or nil when there is no such blob or it was not kept
// (see Options.Keep).
func (net *Net) Blob(name string) *graph.Tensor {
	v := net.g.Blob(name)
	if v == nil {
		return nil
	}
	return net.ValueTensor(v)
}

// ValueTensor returns the tensor of one blob version after Forward, or nil
// when the value was not kept: its buffer may hold a later value (see
// Options.Keep).
func (net *Net) ValueTensor(v *graph.Value) *graph.Tensor {
	if !net.visible[v] {
		return nil
	}
	return net.tensors[v]
}

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
