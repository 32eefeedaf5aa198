package graph

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// add is Graph.Add for tests: the node's Type comes from its op.
func add(t *testing.T, g *Graph, name string, op Op, bottoms, tops []string) *Node {
	t.Helper()
	n := &Node{Name: name, Type: op.Type(), Op: op}
	if err := g.Add(n, bottoms, tops); err != nil {
		t.Fatalf("Add %s: %v", name, err)
	}
	return n
}

func strs(s ...string) []string { return s }

// smallNet is a cifar-like chain with an in-place ReLU:
// data 1x3x32x32 -> conv1 (32, 5x5, pad 2) -> relu1 (in place) -> pool1
// (MAX 3x3 s2) -> ip1 (10) -> prob.
func smallNet(t *testing.T) *Graph {
	g := New("small")
	add(t, g, "data", &Input{Shapes: []Shape{{1, 3, 32, 32}}}, nil, strs("data"))
	add(t, g, "conv1", &Conv{NumOutput: 32, BiasTerm: true, Kernel: ints(5), Pad: ints(2), Group: 1, Axis: 1}, strs("data"), strs("conv1"))
	add(t, g, "relu1", &ReLU{}, strs("conv1"), strs("conv1"))
	add(t, g, "pool1", pool(PoolMax, 3, 2, 0), strs("conv1"), strs("pool1"))
	add(t, g, "ip1", &InnerProduct{NumOutput: 10, BiasTerm: true, Axis: 1}, strs("pool1"), strs("ip1"))
	add(t, g, "prob", &Softmax{Axis: 1}, strs("ip1"), strs("prob"))
	return g
}

func valueShapes(g *Graph) map[string]Shape {
	m := map[string]Shape{}
	for _, v := range g.Values {
		m[v.Name()] = v.Shape
	}
	return m
}

func TestGraphInferShapes(t *testing.T) {
	g := smallNet(t)
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	// pool: ceil((32-3)/2)+1 = 16; ip K = 32*16*16
	want := map[string]Shape{
		"data": {1, 3, 32, 32}, "conv1": {1, 32, 32, 32}, "conv1#1": {1, 32, 32, 32},
		"pool1": {1, 32, 16, 16}, "ip1": {1, 10}, "prob": {1, 10},
	}
	got := valueShapes(g)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("shapes = %v, want %v", got, want)
	}
	ps, err := ParamShapesOf(g.Node("ip1"))
	if err != nil || !shapesEqual(ps, shapes(sh(10, 8192), sh(10))) {
		t.Fatalf("ip1 params = %v, %v", ps, err)
	}
	if ps, err := ParamShapesOf(g.Node("relu1")); ps != nil || err != nil {
		t.Fatalf("relu params = %v, %v; want none", ps, err)
	}

	// Rerun with another input shape: everything follows, and ops are untouched.
	before := reflect.ValueOf(*g.Node("pool1").Op.(*Pool)).Interface()
	if err := g.InferShapes(map[string]Shape{"data": {2, 3, 64, 64}}); err != nil {
		t.Fatal(err)
	}
	if s := g.Blob("prob").Shape; !s.Equal(Shape{2, 10}) {
		t.Fatalf("prob after override = %v", s)
	}
	if s := g.Blob("pool1").Shape; !s.Equal(Shape{2, 32, 32, 32}) {
		t.Fatalf("pool1 after override = %v", s)
	}
	if after := *g.Node("pool1").Op.(*Pool); !reflect.DeepEqual(before, after) {
		t.Fatalf("InferShapes changed the op: %v -> %v", before, after)
	}
	// And back: the declared shape applies again.
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	if s := g.Blob("prob").Shape; !s.Equal(Shape{1, 10}) {
		t.Fatalf("prob after rerun = %v", s)
	}
}

func TestGraphTopsDoNotAliasBottoms(t *testing.T) {
	g := smallNet(t)
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	g.Blob("conv1").Shape[0] = 99
	if g.Values[1].Shape[0] == 99 {
		t.Fatal("in-place ReLU top shares its shape slice with its bottom")
	}
}

func TestGraphInferErrors(t *testing.T) {
	t.Run("layer_error_names_field", func(t *testing.T) {
		g := New("bad")
		add(t, g, "data", &Input{Shapes: []Shape{{1, 6, 8, 8}}}, nil, strs("data"))
		add(t, g, "conv", &Conv{NumOutput: 8, Kernel: ints(3), Group: 4, Axis: 1}, strs("data"), strs("conv"))
		err := g.InferShapes(nil)
		var le *LayerError
		if !errors.As(err, &le) || le.Layer != "conv" || le.Type != "Convolution" || le.Field != "group" {
			t.Fatalf("err = %#v, want LayerError on conv, field group", err)
		}
		if !strings.Contains(err.Error(), `layer "conv" (Convolution) group: group 4 does not divide the 6 input channels`) {
			t.Fatalf("message = %q", err)
		}
	})
	t.Run("wrong_number_of_bottoms", func(t *testing.T) {
		g := New("bad")
		add(t, g, "data", &Input{Shapes: []Shape{{1, 6}}}, nil, strs("data"))
		add(t, g, "sum", &Eltwise{Operation: EltwiseSum}, strs("data"), strs("sum"))
		err := g.InferShapes(nil)
		var le *LayerError
		if !errors.As(err, &le) || le.Field != "bottom" || !strings.Contains(err.Error(), "wrong number of bottoms: got 1, want at least 2") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unknown_layer", func(t *testing.T) {
		g := New("bad")
		add(t, g, "data", &Input{Shapes: []Shape{{1, 6}}}, nil, strs("data"))
		add(t, g, "odd", &Unknown{Kind: "Odd"}, strs("data"), strs("odd"))
		if err := g.InferShapes(nil); err == nil || !strings.Contains(err.Error(), `unknown layer type "Odd"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no_op", func(t *testing.T) {
		g := New("bad")
		add(t, g, "data", &Input{Shapes: []Shape{{1, 6}}}, nil, strs("data"))
		g.Nodes[0].Op = nil
		if err := g.InferShapes(nil); err == nil || !strings.Contains(err.Error(), "no op") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("data_layer_needs_input", func(t *testing.T) {
		g := New("train")
		add(t, g, "data", &DataSource{Kind: "Data", Shapes: []Shape{{64, 0, 0, 0}, {64}}}, nil, strs("data", "label"))
		add(t, g, "ip", &InnerProduct{NumOutput: 10, Axis: 1}, strs("data"), strs("ip"))
		add(t, g, "loss", &Loss{Kind: "SoftmaxWithLoss"}, strs("ip", "label"), strs("loss"))
		err := g.InferShapes(nil)
		if err == nil || !strings.Contains(err.Error(), "unknown input shape") || !strings.Contains(err.Error(), "--input data=") {
			t.Fatalf("err = %v", err)
		}
		if err := g.InferShapes(map[string]Shape{"data": {64, 1, 28, 28}}); err != nil {
			t.Fatal(err)
		}
		if s := g.Blob("ip").Shape; !s.Equal(Shape{64, 10}) {
			t.Fatalf("ip = %v", s)
		}
		if s := g.Blob("loss").Shape; s == nil || len(s) != 0 {
			t.Fatalf("loss shape = %#v, want a known scalar", s)
		}
	})
	t.Run("override_unknown_blob", func(t *testing.T) {
		g := smallNet(t)
		err := g.InferShapes(map[string]Shape{"conv1": {1, 2}, "nope": {1}})
		if err == nil || !strings.Contains(err.Error(), "conv1, nope") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("override_bad_dims", func(t *testing.T) {
		g := smallNet(t)
		if err := g.InferShapes(map[string]Shape{"data": {1, 0, 3, 3}}); err == nil || !strings.Contains(err.Error(), "positive") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestElementCountBounds(t *testing.T) {
	big := 1 << 20
	t.Run("input_over_limit", func(t *testing.T) {
		g := New("big")
		add(t, g, "data", &Input{Shapes: []Shape{{big, big}}}, nil, strs("data"))
		err := g.InferShapes(nil)
		if err == nil || !strings.Contains(err.Error(), "more than the limit") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("input_overflow", func(t *testing.T) {
		g := New("big")
		add(t, g, "data", &Input{Shapes: []Shape{{big, big, big, big}}}, nil, strs("data"))
		err := g.InferShapes(nil)
		if err == nil || !strings.Contains(err.Error(), "overflows") {
			t.Fatalf("err = %v", err)
		}
	})
	runShapeCases(t, []shapeCase{
		{name: "tile_over_limit", op: &Tile{Axis: 0, Tiles: 1 << 30}, in: shapes(sh(8, 2)), wantErr: "exceeds the element limit", wantField: "tiles"},
		{name: "conv_output_over_limit", op: &Conv{NumOutput: 1 << 20, Kernel: ints(1), Group: 1, Axis: 1},
			in: shapes(sh(1, 1, 1<<10, 1<<10)), wantErr: "more than the limit", wantField: "top[0]"},
		{name: "reshape_dims_overflow", op: &Reshape{Dims: ints(1<<40, 1<<40, -1), NumAxes: -1}, in: shapes(sh(2, 3)),
			wantErr: "too large", wantField: "shape"},
		{name: "embed_over_limit", op: &Embed{NumOutput: 1 << 16, InputDim: 10}, in: shapes(sh(1<<16, 1<<4)),
			wantErr: "more than the limit", wantField: "top[0]"},
		{name: "negative_bottom_dim", op: &ReLU{}, in: shapes(sh(2, -3)), wantErr: "negative", wantField: "bottom[0]"},
	})
}

func TestArityTable(t *testing.T) {
	cases := []struct {
		op     Op
		nb, nt int
		ok     bool
	}{
		{&Input{}, 0, 2, true},
		{&Input{}, 1, 1, false},
		{&Pool{Method: PoolMax}, 1, 2, true},
		{&Pool{Method: PoolAve}, 1, 2, false},
		{&Scale{}, 2, 1, true},
		{&Scale{}, 3, 1, false},
		{&Silence{}, 3, 0, true},
		{&Silence{}, 0, 0, false},
		{&Filter{}, 3, 2, true},
		{&Filter{}, 3, 3, false},
		{&Recurrent{Kind: "LSTM", ExposeHidden: true}, 4, 3, true},
		{&Recurrent{Kind: "LSTM", ExposeHidden: true}, 3, 3, false},
		{&Recurrent{Kind: "RNN"}, 3, 1, true},
		{&Loss{Kind: "SoftmaxWithLoss"}, 2, 2, true},
		{&Loss{Kind: "ContrastiveLoss"}, 2, 1, false},
		{&DataSource{Kind: "Python"}, 2, 0, true},
		{&DataSource{Kind: "Data"}, 1, 1, false},
		{&HDF5Output{}, 2, 0, true},
		{&DetectionOutput{}, 3, 1, true},
		{&LSTMUnit{}, 3, 1, false},
	}
	for _, c := range cases {
		err := CheckArity(c.op, c.nb, c.nt)
		if (err == nil) != c.ok {
			t.Errorf("CheckArity(%T %s, %d, %d) = %v, want ok=%v", c.op, c.op.Type(), c.nb, c.nt, err, c.ok)
		}
	}
}
