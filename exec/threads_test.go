package exec

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// For covers [0, n) exactly once with at most `threads` ranges of at least
// grain items, and runs serially when there is one goroutine.
func TestParallelFor(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		p := newParallel(threads)
		for _, n := range []int{0, 1, 2, 5, 16, 1000} {
			for _, grain := range []int{0, 1, 3, 100} {
				var mu sync.Mutex
				hits := make([]int, n)
				parts := 0
				p.For(n, grain, func(lo, hi int) {
					mu.Lock()
					defer mu.Unlock()
					parts++
					if hi-lo < max(grain, 1) && hi-lo != n {
						t.Errorf("threads %d n %d grain %d: range [%d,%d) below the grain", threads, n, grain, lo, hi)
					}
					for i := lo; i < hi; i++ {
						hits[i]++
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("threads %d n %d grain %d: item %d run %d times", threads, n, grain, i, h)
					}
				}
				if parts > threads {
					t.Errorf("threads %d n %d grain %d: %d ranges", threads, n, grain, parts)
				}
			}
		}
	}
}

// A panic in any share reaches the caller (where Net turns it into a
// layer error) after every share has finished.
func TestParallelForPanic(t *testing.T) {
	p := newParallel(3)
	for _, bad := range []int{0, 2} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "boom") {
					t.Errorf("share %d: recovered %v", bad, r)
				}
			}()
			p.For(3, 1, func(lo, hi int) {
				if lo == bad {
					panic("boom")
				}
			})
		}()
	}
	// The splitter still works afterwards.
	n := 0
	var mu sync.Mutex
	p.For(3, 1, func(lo, hi int) { mu.Lock(); n += hi - lo; mu.Unlock() })
	if n != 3 {
		t.Errorf("after a panic: covered %d of 3", n)
	}
}

// buildLayer makes a layer through the registry factory.
func buildLayer(t *testing.T, typ string, op graph.Op, in graph.Shape, nTops int) (Layer, []graph.Shape) {
	t.Helper()
	out, err := op.InferShapes([]graph.Shape{in}, nTops)
	if err != nil {
		t.Fatal(err)
	}
	l, err := registry[typ](coreNode(typ, op), []graph.Shape{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	return l, out
}

func forwardTops(t *testing.T, l Layer, x *graph.Tensor, out []graph.Shape) []*graph.Tensor {
	t.Helper()
	tops := make([]*graph.Tensor, len(out))
	for i, s := range out {
		tops[i] = graph.NewTensor(s)
	}
	if err := l.Forward([]*graph.Tensor{x}, tops); err != nil {
		t.Fatal(err)
	}
	return tops
}

// Pooling split across goroutines gives the serial result bit for bit,
// mask included, for every method.
func TestPoolThreadsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	x := coreRand(r, 3, 5, 13, 11)
	for _, m := range []graph.PoolMethod{graph.PoolMax, graph.PoolAve, graph.PoolStochastic} {
		op := &graph.Pool{Method: m, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 1, PadH: 1, CeilMode: true}
		if m == graph.PoolStochastic {
			op.PadH = 0
		}
		nTops := 1
		if m == graph.PoolMax {
			nTops = 2
		}
		l, out := buildLayer(t, "Pooling", op, x.Shape, nTops)
		serial := forwardTops(t, l, x, out)
		l.(threadUser).setParallel(newParallel(3))
		for i, top := range forwardTops(t, l, x, out) {
			if err := coreExact(top.Data, serial[i].Data); err != nil {
				t.Errorf("method %v top %d: %v", m, i, err)
			}
		}
	}
}

// LRN's parallel plane-by-plane path equals its in-place path, which
// builds the whole scale first, bit for bit.
func TestLRNPathsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for _, op := range []*graph.LRN{
		{LocalSize: 5, Alpha: 1e-4, Beta: 0.75, K: 1, Region: graph.AcrossChannels},
		{LocalSize: 3, Alpha: 0.3, Beta: 0.6, K: 2, Region: graph.AcrossChannels},
		{LocalSize: 3, Alpha: 0.1, Beta: 0.75, K: 1, Region: graph.WithinChannel},
	} {
		x := coreRand(r, 2, 7, 9, 31) // planes longer than the 256-value chunk
		l, out := buildLayer(t, "LRN", op, x.Shape, 1)
		l.(threadUser).setParallel(newParallel(3))
		split := forwardTops(t, l, x, out)[0]
		inPlace := x.Clone()
		if err := l.Forward([]*graph.Tensor{inPlace}, []*graph.Tensor{inPlace}); err != nil {
			t.Fatal(err)
		}
		if err := coreExact(split.Data, inPlace.Data); err != nil {
			t.Errorf("%+v: %v", op, err)
		}
	}
}

// Element-wise layers on blobs large enough to split give the serial
// result, also when the top is one of the bottoms (in place).
func TestElementwiseThreadsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	shape := graph.Shape{2, 3, 129, 131} // ~100K values: three shares
	a, b := coreRand(r, shape...), coreRand(r, shape...)
	cases := []struct {
		typ string
		op  graph.Op
		in  []*graph.Tensor
	}{
		{"TanH", &graph.TanH{}, []*graph.Tensor{a}},
		{"ReLU", &graph.ReLU{NegativeSlope: 0.2}, []*graph.Tensor{a}},
		{"Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum, Coeff: []float32{1, -0.5}}, []*graph.Tensor{a, b}},
		{"Eltwise", &graph.Eltwise{Operation: graph.EltwiseMax}, []*graph.Tensor{a, b, a}},
		{"Eltwise", &graph.Eltwise{Operation: graph.EltwiseProd}, []*graph.Tensor{a, b}},
	}
	for _, c := range cases {
		in := make([]graph.Shape, len(c.in))
		for i := range in {
			in[i] = shape
		}
		l, err := registry[c.typ](coreNode(c.typ, c.op), in, []graph.Shape{shape})
		if err != nil {
			t.Fatal(err)
		}
		serial := graph.NewTensor(shape)
		if err := l.Forward(c.in, []*graph.Tensor{serial}); err != nil {
			t.Fatal(err)
		}
		l.(threadUser).setParallel(newParallel(3))
		split := graph.NewTensor(shape)
		if err := l.Forward(c.in, []*graph.Tensor{split}); err != nil {
			t.Fatal(err)
		}
		inPlace := make([]*graph.Tensor, len(c.in))
		for i, x := range c.in {
			inPlace[i] = x.Clone()
		}
		if err := l.Forward(inPlace, []*graph.Tensor{inPlace[0]}); err != nil {
			t.Fatal(err)
		}
		if err := coreExact(split.Data, serial.Data); err != nil {
			t.Errorf("%s %+v split: %v", c.typ, c.op, err)
		}
		if err := coreExact(inPlace[0].Data, serial.Data); err != nil {
			t.Errorf("%s %+v in place: %v", c.typ, c.op, err)
		}
	}
}
