package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/exec/internal/ref"
	"github.com/caffetool/caffetool/graph"
)

// buildConv makes a convolution layer for p through the registry factory.
func buildConv(t *testing.T, p ref.Conv2D, bias bool, r *rand.Rand) (*convLayer, *graph.Tensor, *graph.Tensor, []float32) {
	t.Helper()
	op := convOp(p, false, bias, false)
	w := coreRand(r, p.Out, p.In/p.Group, p.KH, p.KW)
	params := []*graph.Tensor{w}
	var b []float32
	if bias {
		bt := coreRand(r, p.Out)
		params, b = append(params, bt), bt.Data
	}
	x := coreRand(r, p.N, p.In, p.H, p.W)
	out, err := op.InferShapes([]graph.Shape{x.Shape}, 1)
	if err != nil {
		t.Fatalf("%s: %v", caseName(p), err)
	}
	l, err := newConvolution(coreNode("Convolution", op, params...), []graph.Shape{x.Shape}, out)
	if err != nil {
		t.Fatalf("%s: %v", caseName(p), err)
	}
	return l.(*convLayer), x, w, b
}

// forwardGuarded runs l on x into a NaN-guarded top and checks the guards.
func forwardGuarded(t *testing.T, l *convLayer, x *graph.Tensor, p ref.Conv2D) []float32 {
	t.Helper()
	oh, ow := p.ConvOut()
	top := newCoreGuarded(graph.Shape{p.N, p.Out, oh, ow})
	if err := l.Forward([]*graph.Tensor{x}, []*graph.Tensor{top.t}); err != nil {
		t.Fatalf("%s: %v", caseName(p), err)
	}
	if err := top.intact(); err != nil {
		t.Fatalf("%s: %v", caseName(p), err)
	}
	return top.t.Data
}

// randConv draws a valid geometry: odd sizes, any stride, pad, dilation.
func randConv(r *rand.Rand, depthwise bool) ref.Conv2D {
	for {
		p := ref.Conv2D{
			N: 1 + r.IntN(2), H: 1 + r.IntN(12), W: 1 + r.IntN(12),
			KH: 1 + r.IntN(5), KW: 1 + r.IntN(5),
			StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			PadH: r.IntN(4), PadW: r.IntN(4), DilH: 1 + r.IntN(3), DilW: 1 + r.IntN(3),
		}
		if depthwise {
			p.In = 2 + r.IntN(6)
			p.Group = p.In
			p.Out = p.In * (1 + r.IntN(3))
		} else {
			p.Group = 1 + r.IntN(3)
			p.In = p.Group * (1 + r.IntN(4))
			p.Out = p.Group * (1 + r.IntN(4))
		}
		if convFits(p) {
			return p
		}
	}
}

// convFits: the dilated kernel fits in the padded input (Caffe's rule).
func convFits(p ref.Conv2D) bool {
	return p.H+2*p.PadH >= p.DilH*(p.KH-1)+1 && p.W+2*p.PadW >= p.DilW*(p.KW-1)+1
}

// The direct depthwise kernel against the naive convolution, on random
// odd geometries (channel multipliers 1-3, every kernel size to 5×5,
// strides, pads and dilations to 3) and on the 3×3 register kernel's own
// cases, with every width from 1 so each border case appears.
func TestDepthwiseMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	var cases []ref.Conv2D
	for range 300 {
		cases = append(cases, randConv(r, true))
	}
	for s := 1; s <= 2; s++ {
		for pad := 0; pad <= 2; pad++ {
			for w := 1; w <= 11; w++ {
				cases = append(cases, ref.Conv2D{N: 1, In: 3, H: 3 + w%4, W: w, Out: 3, KH: 3, KW: 3,
					StrideH: s, StrideW: s, PadH: pad, PadW: pad, DilH: 1, DilW: 1, Group: 3})
			}
			// Planes that fit the padded buffer and ones that do not.
			for _, hw := range [][2]int{{17, 23}, {33, 40}, {58, 58}, {9, 130}, {70, 75}} {
				cases = append(cases, ref.Conv2D{N: 1, In: 2, H: hw[0], W: hw[1], Out: 2, KH: 3, KW: 3,
					StrideH: s, StrideW: s, PadH: pad, PadW: pad, DilH: 1, DilW: 1, Group: 2})
			}
		}
	}
	for _, p := range cases {
		if !convFits(p) {
			continue
		}
		for _, bias := range []bool{false, true} {
			l, x, w, b := buildConv(t, p, bias, r)
			if l.path != convDepthwise {
				t.Fatalf("%s: path %v, want depthwise", caseName(p), l.path)
			}
			got := forwardGuarded(t, l, x, p)
			if err := coreClose(got, ref.Conv(p, x.Data, w.Data, b), 1e-5); err != nil {
				t.Fatalf("%s bias=%v fast3=%v: %v", caseName(p), bias, l.dw.fast3, err)
			}
		}
	}
}

// The im2col path on bands of output rows (1, 2 and 3 rows per band,
// forced here; real sizes only band large images) and with 3 goroutines
// equals the naive convolution, and threads do not change any bit.
func TestConvBandsMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	cases := append([]ref.Conv2D(nil), convCases...)
	for range 100 {
		cases = append(cases, randConv(r, false))
	}
	par := newParallel(3)
	for _, p := range cases {
		for _, rows := range []int{1, 2, 3, 0} {
			l, x, w, b := buildConv(t, p, true, r)
			if l.path != convGEMM {
				continue
			}
			if rows > 0 {
				l.bandRows = rows
				l.scratch = scratch{n: l.colBandLen()}
			}
			want := ref.Conv(p, x.Data, w.Data, b)
			serial := forwardGuarded(t, l, x, p)
			if err := coreClose(serial, want, 1e-4); err != nil {
				t.Fatalf("%s rows=%d: %v", caseName(p), l.bandRows, err)
			}
			l.setParallel(par)
			if err := coreExact(forwardGuarded(t, l, x, p), serial); err != nil {
				t.Fatalf("%s rows=%d, 3 threads vs 1: %v", caseName(p), l.bandRows, err)
			}
		}
	}
}

// Threads change no bit of the depthwise and 1×1 paths either.
func TestConvThreadsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	par := newParallel(3)
	cases := []ref.Conv2D{
		{N: 2, In: 9, H: 7, W: 5, Out: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 9},
		{N: 2, In: 6, H: 5, W: 9, Out: 10, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 2},
	}
	for _, p := range cases {
		l, x, _, _ := buildConv(t, p, true, r)
		serial := forwardGuarded(t, l, x, p)
		l.setParallel(par)
		if err := coreExact(forwardGuarded(t, l, x, p), serial); err != nil {
			t.Errorf("%s (%v): %v", caseName(p), l.path, err)
		}
	}
}

// Each geometry takes the path it should.
func TestConvPathChoice(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	base := ref.Conv2D{N: 1, In: 4, H: 6, W: 6, Out: 4, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}
	mod := func(f func(*ref.Conv2D)) ref.Conv2D { p := base; f(&p); return p }
	cases := []struct {
		p    ref.Conv2D
		want convPath
	}{
		{base, conv1x1},
		{mod(func(p *ref.Conv2D) { p.Group = 2 }), conv1x1},
		{mod(func(p *ref.Conv2D) { p.StrideH = 2 }), convGEMM},
		{mod(func(p *ref.Conv2D) { p.PadW = 1 }), convGEMM},
		{mod(func(p *ref.Conv2D) { p.KH, p.KW = 3, 3 }), convDirect},
		{mod(func(p *ref.Conv2D) { p.KH, p.KW, p.Group = 3, 3, 4 }), convDepthwise},
		{mod(func(p *ref.Conv2D) { p.Group, p.Out = 4, 8 }), convDepthwise},
		{mod(func(p *ref.Conv2D) { p.In, p.Out, p.Group = 1, 1, 1 }), conv1x1},
	}
	for _, c := range cases {
		l, _, _, _ := buildConv(t, c.p, false, r)
		if l.path != c.want {
			t.Errorf("%s: path %v, want %v", caseName(c.p), l.path, c.want)
		}
		if (l.path == convGEMM) != (l.scratchLen() > 0) {
			t.Errorf("%s: path %v with scratch %d", caseName(c.p), l.path, l.scratchLen())
		}
	}
	// N-D im2col (force_nd_im2col) never takes the depthwise kernel.
	p := mod(func(p *ref.Conv2D) { p.KH, p.KW, p.Group = 3, 3, 4 })
	op := convOp(p, false, false, true)
	l, err := newConvolution(coreNode("Convolution", op, coreRand(r, 4, 1, 3, 3)),
		[]graph.Shape{{1, 4, 6, 6}}, []graph.Shape{{1, 4, 4, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.(*convLayer).path; got != convGEMM {
		t.Errorf("N-D depthwise: path %v, want im2col+GEMM", got)
	}
}

// Large images are banded so the column buffer stays near colBandBytes,
// and bands are never narrower than minBandCols positions.
func TestBandRows(t *testing.T) {
	g := &convGeom{imC: 64, group: 1, kernel: []int{3, 3}, colSpatial: []int{224, 224}, kernelDim: 64 * 9}
	rows := bandRows(g)
	if rows >= 224 || rows*224 < minBandCols {
		t.Errorf("VGG conv1_2: %d rows per band", rows)
	}
	g = &convGeom{imC: 512, group: 1, kernel: []int{3, 3}, colSpatial: []int{14, 14}, kernelDim: 512 * 9}
	if rows := bandRows(g); rows != 14 {
		t.Errorf("14×14 output: %d rows per band, want all 14", rows)
	}
}

// Winograd F(2×2, 3×3) against the naive convolution: odd sizes (so the
// last tile row and column are cut), every pad from 0 to 2, bands of one
// tile row, 3 goroutines.
func TestWinogradMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	par := newParallel(3)
	for it := range 40 {
		p := ref.Conv2D{N: 1 + r.IntN(2), In: winogradMinChannels + r.IntN(5), H: 13 + r.IntN(6), W: 13 + r.IntN(6),
			Out: winogradMinChannels + r.IntN(7), KH: 3, KW: 3, StrideH: 1, StrideW: 1,
			PadH: r.IntN(3), PadW: r.IntN(3), DilH: 1, DilW: 1, Group: 1}
		if !convFits(p) {
			continue
		}
		l, x, w, b := buildConv(t, p, it%2 == 0, r)
		if l.path != convWinograd {
			t.Fatalf("%s: path %v, want Winograd", caseName(p), l.path)
		}
		// The transforms add up to four inputs before multiplying, so
		// rounding errors run a few times those of direct summation: over
		// 600 products of magnitude ≤ 1 they stay near 1e-5.
		const tol = 1e-4
		want := ref.Conv(p, x.Data, w.Data, b)
		got := forwardGuarded(t, l, x, p)
		if err := coreClose(got, want, tol); err != nil {
			t.Fatalf("%s: %v", caseName(p), err)
		}
		l.wino.bandRows = 1
		l.scratch = scratch{n: l.wino.scratchLen()}
		banded := forwardGuarded(t, l, x, p)
		if err := coreClose(banded, want, tol); err != nil {
			t.Fatalf("%s, one tile row per band: %v", caseName(p), err)
		}
		l.setParallel(par)
		if err := coreExact(forwardGuarded(t, l, x, p), banded); err != nil {
			t.Fatalf("%s, 3 threads vs 1: %v", caseName(p), err)
		}
	}
	// Too few channels or tiles, a stride, a dilation or groups: im2col.
	for _, p := range []ref.Conv2D{
		{N: 1, In: 32, H: 14, W: 14, Out: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 1},
		{N: 1, In: 64, H: 7, W: 7, Out: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 1},
		{N: 1, In: 64, H: 14, W: 14, Out: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 1},
		{N: 1, In: 64, H: 14, W: 14, Out: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 2, DilW: 2, Group: 1},
		{N: 1, In: 64, H: 14, W: 14, Out: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 2},
	} {
		if l, _, _, _ := buildConv(t, p, false, r); l.path != convGEMM {
			t.Errorf("%s: path %v, want im2col+GEMM", caseName(p), l.path)
		}
	}
}
