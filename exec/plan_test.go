package exec

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/exec/internal/ref"
	"github.com/caffetool/caffetool/graph"
)

// planNet builds nets for the planner tests layer by layer.
type planNet struct {
	t *testing.T
	r *rand.Rand
	g *graph.Graph
}

func newPlanNet(t *testing.T, seed uint64, in graph.Shape) *planNet {
	p := &planNet{t: t, r: rand.New(rand.NewPCG(seed, 99)), g: graph.New("plan")}
	p.add(&graph.Node{Name: "data", Type: "Input", Op: &graph.Input{Shapes: []graph.Shape{in}}}, nil, []string{"data"})
	return p
}

func (p *planNet) add(n *graph.Node, bottoms, tops []string) {
	p.t.Helper()
	if err := p.g.Add(n, bottoms, tops); err != nil {
		p.t.Fatal(err)
	}
	if err := p.g.InferShapes(nil); err != nil {
		p.t.Fatal(err)
	}
}

func (p *planNet) channels(blob string) int { return p.g.Blob(blob).Shape[1] }

func (p *planNet) conv(name, bottom, top string, out, k, pad, group int) {
	c := ref.Conv2D{Out: out, KH: k, KW: k, StrideH: 1, StrideW: 1, PadH: pad, PadW: pad, DilH: 1, DilW: 1, Group: group}
	in := p.channels(bottom)
	p.add(&graph.Node{Name: name, Type: "Convolution", Op: convOp(c, false, true, false),
		Params: []*graph.Tensor{coreRand(p.r, out, in/group, k, k), coreRand(p.r, out)}}, []string{bottom}, []string{top})
}

func (p *planNet) bn(name, blob, top string) {
	c := p.channels(blob)
	mean, vr := coreRand(p.r, c), coreRand(p.r, c)
	for i := range vr.Data {
		vr.Data[i] += 1.5
	}
	factor := &graph.Tensor{Shape: graph.Shape{1}, Data: []float32{0.9}}
	p.add(&graph.Node{Name: name, Type: "BatchNorm", Op: &graph.BatchNorm{UseGlobalStats: true, Eps: 1e-5},
		Params: []*graph.Tensor{mean, vr, factor}}, []string{blob}, []string{top})
}

func (p *planNet) scale(name, blob, top string, bias bool) {
	c := p.channels(blob)
	params := []*graph.Tensor{coreRand(p.r, c)}
	if bias {
		params = append(params, coreRand(p.r, c))
	}
	p.add(&graph.Node{Name: name, Type: "Scale", Op: &graph.Scale{Axis: 1, NumAxes: 1, BiasTerm: bias}, Params: params},
		[]string{blob}, []string{top})
}

func (p *planNet) simple(name, typ string, op graph.Op, bottoms []string, top string, params ...*graph.Tensor) {
	p.add(&graph.Node{Name: name, Type: typ, Op: op, Params: params}, bottoms, []string{top})
}

func (p *planNet) input() map[string]*graph.Tensor {
	v := p.g.Blob("data")
	x := coreRand(p.r, v.Shape...)
	x.Data[0] = -0.0 // ReLU's sign of zero is checked by the exact comparison
	return map[string]*graph.Tensor{"data": x}
}

// run compiles the net with opts and forwards the input.
func (p *planNet) run(opts Options, in map[string]*graph.Tensor) *Net {
	p.t.Helper()
	net, err := Compile(p.g, opts)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := net.Forward(in); err != nil {
		p.t.Fatal(err)
	}
	return net
}

// sameVisible checks that every value net lets one read equals, bit for
// bit, the same value in ref (compiled with KeepAll).
func sameVisible(t *testing.T, what string, net, ref *Net) int {
	t.Helper()
	n := 0
	for _, v := range net.Graph().Values {
		got := net.ValueTensor(v)
		if got == nil {
			continue
		}
		n++
		if err := coreExact(got.Data, ref.ValueTensor(v).Data); err != nil {
			t.Errorf("%s: %s: %v", what, v.Name(), err)
		}
	}
	return n
}

// mobileBlock is conv → BN → Scale → ReLU (in place), depthwise 3×3 →
// BN → Scale → leaky ReLU, 1×1 → Bias → ReLU6 with distinct top names,
// then an Eltwise sum with the block input and a ReLU (ResNet's end).
func mobileBlock(t *testing.T) *planNet {
	p := newPlanNet(t, 1, graph.Shape{2, 4, 9, 7})
	p.conv("c1", "data", "c1", 6, 3, 1, 1)
	p.bn("c1/bn", "c1", "c1")
	p.scale("c1/scale", "c1", "c1", true)
	p.simple("c1/relu", "ReLU", &graph.ReLU{}, []string{"c1"}, "c1")
	p.conv("dw", "c1", "dw", 6, 3, 1, 6)
	p.bn("dw/bn", "dw", "dw")
	p.scale("dw/scale", "dw", "dw", false)
	p.simple("dw/relu", "ReLU", &graph.ReLU{NegativeSlope: 0.1}, []string{"dw"}, "dw")
	p.conv("pw", "dw", "pw", 4, 1, 0, 1)
	p.simple("pw/bias", "Bias", &graph.Bias{Axis: 1, NumAxes: 1}, []string{"pw"}, "pw_b", coreRand(p.r, 4))
	p.simple("pw/relu6", "ReLU6", &graph.ReLU6{}, []string{"pw_b"}, "pw_r")
	p.simple("sum", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, []string{"data", "pw_r"}, "sum")
	p.simple("sum/relu", "ReLU", &graph.ReLU{}, []string{"sum"}, "sum")
	return p
}

// Fusing BatchNorm, Scale, Bias and the ReLUs into the convolutions'
// output pass, reusing buffers and running element-wise layers in place
// change no bit of any value that stays readable.
func TestFusedChainExact(t *testing.T) {
	p := mobileBlock(t)
	in := p.input()
	all := p.run(Options{KeepAll: true, Threads: 1}, in)
	for _, f := range all.fusedInto {
		t.Errorf("KeepAll fused a layer into %s", f.Name)
	}
	for _, threads := range []int{1, 3} {
		net := p.run(Options{Threads: threads}, in)
		if n := sameVisible(t, "planned", net, all); n != 2 { // data, sum#1
			t.Errorf("%d values readable, want the input and the output", n)
		}
		want := map[string]string{
			"c1/bn": "fused into c1", "c1/scale": "fused into c1", "c1/relu": "fused into c1",
			"dw/bn": "fused into dw", "dw/scale": "fused into dw", "dw/relu": "fused into dw",
			"pw/bias": "fused into pw", "pw/relu6": "fused into pw", "sum/relu": "", "sum": "",
		}
		for name, role := range want {
			if got := net.Role(p.g.Node(name)); got != role {
				t.Errorf("Role(%s) = %q, want %q", name, got, role)
			}
		}
		if m := net.Memory(); m.Bytes >= m.Unplanned || m.Buffers > 3 {
			t.Errorf("memory %+v: expected reuse", m)
		}
	}
	// Observe sees every value, so nothing is fused, and each observed
	// tensor holds its value at the time (in-place rewrites come later).
	seen := 0
	obs := p.run(Options{Observe: func(v *graph.Value, x *graph.Tensor) {
		seen++
		if err := coreExact(x.Data, all.ValueTensor(v).Data); err != nil {
			t.Errorf("observed %s: %v", v.Name(), err)
		}
	}}, in)
	if len(obs.fusedInto) != 0 || seen != len(p.g.Values) {
		t.Errorf("with Observe: %d fused, %d of %d values seen", len(obs.fusedInto), seen, len(p.g.Values))
	}
}

// A kept value stops the chain before the layer that would overwrite it,
// and stays readable with its own value.
func TestKeepStopsFusion(t *testing.T) {
	p := mobileBlock(t)
	in := p.input()
	all := p.run(Options{KeepAll: true}, in)
	net := p.run(Options{Keep: []string{"c1#1", "dw", "pw_b"}}, in)
	sameVisible(t, "kept", net, all)
	for _, name := range []string{"c1#1", "dw", "dw#1", "dw#2", "dw#3", "pw_b"} {
		if !net.visible[valueNamed(p.g, name)] {
			t.Errorf("%s not readable", name)
		}
	}
	if got := net.Role(p.g.Node("c1/bn")); got != "fused into c1" {
		t.Errorf("c1/bn: %q, want fused (its input c1#0 is not kept)", got)
	}
	for _, name := range []string{"c1/scale", "dw/bn", "pw/relu6"} {
		if got := net.Role(p.g.Node(name)); got != "" {
			t.Errorf("%s: %q, want to run on its own (its input is kept)", name, got)
		}
	}
	if _, err := Compile(p.g, Options{Keep: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown Keep name: %v", err)
	}
}

func valueNamed(g *graph.Graph, name string) *graph.Value {
	for _, v := range g.Values {
		if v.Name() == name {
			return v
		}
	}
	return nil
}

// A value read by two layers is neither fused nor overwritten in place
// until both have run; views (Split, Reshape, Flatten) share buffers.
func TestPlanSharedReaders(t *testing.T) {
	p := newPlanNet(t, 2, graph.Shape{1, 3, 6, 5})
	p.conv("c", "data", "c", 4, 3, 1, 1)
	p.add(&graph.Node{Name: "split", Type: "Split", Op: &graph.Split{}}, []string{"c"}, []string{"a", "b"})
	p.simple("relu_a", "ReLU", &graph.ReLU{}, []string{"a"}, "a")
	p.simple("sig_b", "Sigmoid", &graph.Sigmoid{}, []string{"b"}, "b")
	p.simple("flat", "Flatten", &graph.Flatten{Axis: 1, EndAxis: -1}, []string{"c"}, "flat")
	p.simple("relu_f", "ReLU", &graph.ReLU{}, []string{"flat"}, "flat")
	p.simple("sum", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, []string{"a", "b"}, "sum")
	in := p.input()
	all := p.run(Options{KeepAll: true}, in)
	for _, threads := range []int{1, 2} {
		net := p.run(Options{Threads: threads}, in)
		sameVisible(t, "planned", net, all)
		for _, name := range []string{"split", "flat"} {
			if got := net.Role(p.g.Node(name)); got != "view" {
				t.Errorf("Role(%s) = %q, want view", name, got)
			}
		}
		if got := net.Role(p.g.Node("relu_a")); got != "" {
			t.Errorf("relu_a: %q; c has other readers, so it must run", got)
		}
	}
}

// Inputs are never overwritten: a ReLU in place on the input blob gets a
// buffer of its own, and a second Forward without inputs repeats the
// first.
func TestPlanInputsKept(t *testing.T) {
	p := newPlanNet(t, 3, graph.Shape{2, 3, 4, 4})
	p.simple("relu", "ReLU", &graph.ReLU{}, []string{"data"}, "data")
	p.conv("c", "data", "c", 2, 1, 0, 1)
	in := p.input()
	net := p.run(Options{}, in)
	if err := coreExact(net.ValueTensor(p.g.Values[0]).Data, in["data"].Data); err != nil {
		t.Fatalf("input overwritten: %v", err)
	}
	first := append([]float32(nil), net.Blob("c").Data...)
	if err := net.Forward(nil); err != nil {
		t.Fatal(err)
	}
	if err := coreExact(net.Blob("c").Data, first); err != nil {
		t.Errorf("second forward: %v", err)
	}
}

// A chain of same-sized layers needs two buffers (plus the input), not
// one per value.
func TestPlanChainMemory(t *testing.T) {
	p := newPlanNet(t, 4, graph.Shape{1, 8, 10, 10})
	prev := "data"
	for i := range 8 {
		name := "c" + string(rune('a'+i))
		p.conv(name, prev, name, 8, 3, 1, 1)
		p.simple(name+"/sig", "Sigmoid", &graph.Sigmoid{}, []string{name}, name)
		prev = name
	}
	net := p.run(Options{}, p.input())
	per := int64(4 * 8 * 10 * 10)
	if m := net.Memory(); m.Bytes != 3*per || m.Unplanned != 17*per {
		t.Errorf("memory %+v, want %d planned of %d", m, 3*per, 17*per)
	}
}

// After the first pass, Forward allocates at most a small constant per
// layer: buffers are planned at compile time and the worker goroutines
// take tasks without allocating.
func TestForwardAllocs(t *testing.T) {
	p := newPlanNet(t, 5, graph.Shape{2, 3, 12, 10})
	p.conv("c1", "data", "c1", 8, 3, 1, 1)
	p.bn("bn", "c1", "c1")
	p.simple("relu", "ReLU", &graph.ReLU{}, []string{"c1"}, "c1")
	p.conv("dw", "c1", "dw", 8, 3, 1, 8)
	p.conv("pw", "dw", "pw", 8, 1, 0, 1)
	p.simple("sum", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, []string{"c1", "pw"}, "sum")
	p.simple("pool", "Pooling", &graph.Pool{Method: graph.PoolMax, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, CeilMode: true},
		[]string{"sum"}, "pool")
	p.simple("ip", "InnerProduct", &graph.InnerProduct{NumOutput: 5, BiasTerm: true, Axis: 1}, []string{"pool"}, "ip",
		coreRand(p.r, 5, 8*6*5), coreRand(p.r, 5))
	p.simple("prob", "Softmax", &graph.Softmax{Axis: 1}, []string{"ip"}, "prob")
	in := p.input()
	for _, threads := range []int{1, 2} {
		net := p.run(Options{Threads: threads}, in)
		allocs := testing.AllocsPerRun(20, func() {
			if err := net.Forward(in); err != nil {
				t.Fatal(err)
			}
		})
		// The runtime's own work allocates nothing (no buffer, no task);
		// what remains is a few small objects per GEMM call (internal/sgemm
		// keeps a problem descriptor and starts goroutines), a constant
		// per layer whatever the tensor sizes.
		if limit := float64(3 * len(p.g.Nodes)); allocs > limit {
			t.Errorf("%d threads: %v allocations per Forward, want at most %v", threads, allocs, limit)
		}
	}
}

// TestPlanRandomChains builds random convolution chains, the shape fusion
// and in-place reuse look for: convolutions (3×3, 1×1, depthwise) followed
// by BatchNorm, Scale, Bias, ReLU, leaky ReLU, ReLU6 and Sigmoid, in place
// or not, with extra readers of earlier blobs (Eltwise sums, Sigmoids)
// that must block fusion and in-place writes. Planned nets (1 and 3
// goroutines, a random Keep) must agree bit for bit with KeepAll.
func TestPlanRandomChains(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	fusedTotal := 0
	for it := range 300 {
		c := 1 + r.IntN(5)
		p := newPlanNet(t, uint64(it), graph.Shape{1 + r.IntN(2), c, 3 + r.IntN(6), 3 + r.IntN(6)})
		blobs := []string{"data"} // all of shape data's, when c is unchanged
		cur := "data"
		top := func(i int) string {
			if r.IntN(2) == 0 {
				return cur
			}
			return "b" + string(rune('a'+i))
		}
		for i := range 3 + r.IntN(8) {
			name := "l" + string(rune('a'+i))
			switch k := r.IntN(11); {
			case k < 3:
				switch r.IntN(3) {
				case 0:
					p.conv(name, cur, name, c, 3, 1, 1)
				case 1:
					p.conv(name, cur, name, c, 1, 0, 1)
				default:
					p.conv(name, cur, name, c, 3, 1, c)
				}
				cur = name
			case k == 3:
				out := top(i)
				p.bn(name, cur, out)
				cur = out
			case k == 4:
				out := top(i)
				p.scale(name, cur, out, r.IntN(2) == 0)
				cur = out
			case k == 5:
				out := top(i)
				p.simple(name, "Bias", &graph.Bias{Axis: 1, NumAxes: 1}, []string{cur}, out, coreRand(p.r, c))
				cur = out
			case k == 6:
				out := top(i)
				p.simple(name, "ReLU", &graph.ReLU{NegativeSlope: []float32{0, 0.25}[r.IntN(2)]}, []string{cur}, out)
				cur = out
			case k == 7:
				out := top(i)
				p.simple(name, "ReLU6", &graph.ReLU6{}, []string{cur}, out)
				cur = out
			case k == 8:
				out := top(i)
				p.simple(name, "Sigmoid", &graph.Sigmoid{}, []string{cur}, out)
				cur = out
			case k == 9:
				other := blobs[r.IntN(len(blobs))]
				out := "b" + string(rune('a'+i))
				p.simple(name, "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, []string{cur, other}, out)
				cur = out
			default: // a side reader of some earlier blob, left as an output
				p.simple(name, "Sigmoid", &graph.Sigmoid{}, []string{blobs[r.IntN(len(blobs))]}, "side"+name)
			}
			blobs = append(blobs, cur)
		}
		in := p.input()
		all := p.run(Options{KeepAll: true, Threads: 1}, in)
		var keep []string
		for _, v := range p.g.Values {
			if r.IntN(5) == 0 {
				keep = append(keep, v.Name())
			}
		}
		for _, opts := range []Options{{Threads: 1}, {Threads: 3}, {Keep: keep}} {
			net := p.run(opts, in)
			fusedTotal += len(net.fusedInto)
			sameVisible(t, "planned", net, all)
			if t.Failed() {
				t.Fatalf("net %d %+v: %s", it, opts, describeNet(net))
			}
		}
	}
	if fusedTotal < 100 {
		t.Errorf("only %d fused layers in the random chains", fusedTotal)
	}
}

func describeNet(net *Net) string {
	s := ""
	for _, n := range net.Graph().Nodes {
		s += n.Name + "(" + n.Type
		for _, b := range n.Bottoms {
			s += " " + b.Name()
		}
		s += " →"
		for _, t := range n.Tops {
			s += " " + t.Name()
		}
		if r := net.Role(n); r != "" {
			s += ", " + r
		}
		s += ") "
	}
	return s
}

// Without GEMM calls (depthwise convolution, pooling, element-wise
// layers), a forward pass allocates nothing at all, on one goroutine or
// several: the worker pool takes plain task values.
func TestForwardAllocsNoGEMM(t *testing.T) {
	p := newPlanNet(t, 6, graph.Shape{2, 16, 20, 20})
	p.conv("dw", "data", "dw", 16, 3, 1, 16)
	p.bn("bn", "dw", "dw")
	p.simple("relu", "ReLU", &graph.ReLU{}, []string{"dw"}, "dw")
	p.simple("sum", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}, []string{"data", "dw"}, "sum")
	p.simple("pool", "Pooling", &graph.Pool{Method: graph.PoolAve, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: true},
		[]string{"sum"}, "pool")
	p.simple("prob", "Softmax", &graph.Softmax{Axis: 1}, []string{"pool"}, "prob")
	in := p.input()
	for _, threads := range []int{1, 2, 3} {
		net := p.run(Options{Threads: threads}, in)
		if allocs := testing.AllocsPerRun(20, func() {
			if err := net.Forward(in); err != nil {
				t.Fatal(err)
			}
		}); allocs != 0 {
			t.Errorf("%d threads: %v allocations per Forward", threads, allocs)
		}
	}
}

// fireNet is SqueezeNet's fire module and more: a squeeze convolution,
// then a 1×1 convolution with a ReLU in place (fused), a 3×3 one, and a
// pooling followed by a Sigmoid (element-wise, run on its own), joined by
// a Concat along the channels and read by a last convolution. extra, when
// set, adds a second reader of the 1×1 branch.
func fireNet(t *testing.T, batch int, extra bool) *planNet {
	p := newPlanNet(t, 6, graph.Shape{batch, 3, 7, 6})
	p.conv("sq", "data", "sq", 4, 1, 0, 1)
	p.conv("e1", "sq", "e1", 5, 1, 0, 1)
	p.simple("e1/relu", "ReLU", &graph.ReLU{}, []string{"e1"}, "e1")
	p.conv("e3", "sq", "e3", 3, 3, 1, 1)
	p.simple("pool", "Pooling", &graph.Pool{Method: graph.PoolMax, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		[]string{"sq"}, "pool")
	p.simple("pool/sig", "Sigmoid", &graph.Sigmoid{}, []string{"pool"}, "pool_s")
	if extra {
		p.simple("side", "Sigmoid", &graph.Sigmoid{}, []string{"e1"}, "side")
	}
	p.simple("cat", "Concat", &graph.Concat{Axis: 1}, []string{"e1", "e3", "pool_s"}, "cat")
	p.conv("out", "cat", "out", 2, 1, 0, 1)
	return p
}

// With one image, each Concat bottom is computed straight into its run of
// the Concat's output, which then has nothing to copy; the values agree
// bit for bit with KeepAll. A bottom read elsewhere, a kept bottom, a
// batch of two (the runs are no longer contiguous) or Observe leave the
// Concat to copy; a kept input of the ReLU only stops the fusion.
func TestPlanConcatViews(t *testing.T) {
	cases := []struct {
		name  string
		batch int
		extra bool
		opts  Options
		view  bool
	}{
		{"batch 1", 1, false, Options{Threads: 2}, true},
		{"batch 1, one thread", 1, false, Options{Threads: 1}, true},
		{"bottom read twice", 1, true, Options{}, false},
		{"bottom kept", 1, false, Options{Keep: []string{"e3"}}, false},
		// e1/relu then runs on its own, from e1#0's buffer into the run.
		{"ReLU input kept", 1, false, Options{Keep: []string{"e1#0"}}, true},
		{"batch 2", 2, false, Options{}, false},
		{"observed", 1, false, Options{Observe: func(*graph.Value, *graph.Tensor) {}}, false},
	}
	for _, c := range cases {
		p := fireNet(t, c.batch, c.extra)
		in := p.input()
		all := p.run(Options{KeepAll: true}, in)
		net := p.run(c.opts, in)
		sameVisible(t, c.name, net, all)
		cat := p.g.Node("cat")
		if got := net.Role(cat) == "view"; got != c.view {
			t.Errorf("%s: concat Role %q, want view %v", c.name, net.Role(cat), c.view)
		}
		if !c.view {
			continue
		}
		// The bottoms (and the fused ReLU's input) are runs of the output.
		out := net.tensors[cat.Tops[0]].Data
		off := 0
		for _, b := range cat.Bottoms {
			vs := []*graph.Value{b}
			if b.Producer.Name == "e1/relu" && net.Role(b.Producer) != "" {
				vs = append(vs, b.Producer.Bottoms[0])
			}
			for _, v := range vs {
				if d := net.tensors[v].Data; &d[0] != &out[off] || len(d) != b.Shape.Count() {
					t.Errorf("%s: %s is not elements %d.. of the Concat output", c.name, v.Name(), off)
				}
			}
			off += b.Shape.Count()
		}
		if err := net.Forward(nil); err != nil { // a second pass gives the same
			t.Fatal(err)
		}
		sameVisible(t, c.name+", second pass", net, all)
	}
}
