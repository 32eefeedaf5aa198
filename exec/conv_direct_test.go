package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/exec/internal/ref"
)

// The direct few-tap kernel against the naive convolution: 1-4 input
// channels, kernels to 5×5, strides to 3, pads to 2, rectangular odd
// sizes (widths past 16 so the 16- and 8-column register blocks and the
// scalar tail all run), batch 2, with and without bias, 1-9 output
// channels (the 4-channel blocks and the remainder). Then a fused ReLU
// must give exactly the unfused result with a ReLU after it, and 3
// goroutines exactly what 1 gives.
func TestDirectMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	par := newParallel(3)
	// First layers as AlexNet's (11×11 stride 4) and GoogLeNet's (7×7
	// stride 2, pad 3) on small odd images, then random draws.
	fixed := []ref.Conv2D{
		{N: 2, In: 3, H: 37, W: 43, Out: 10, KH: 11, KW: 11, StrideH: 4, StrideW: 4, DilH: 1, DilW: 1, Group: 1},
		{N: 2, In: 3, H: 29, W: 35, Out: 7, KH: 7, KW: 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3, DilH: 1, DilW: 1, Group: 1},
	}
	n := 0
	for it := 0; n < 60+len(fixed) && it < 1000; it++ {
		p := ref.Conv2D{N: 2, In: 1 + r.IntN(4), H: 1 + r.IntN(25), W: 1 + r.IntN(40),
			Out: 1 + r.IntN(9), KH: 1 + r.IntN(5), KW: 1 + r.IntN(5),
			StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3), PadH: r.IntN(3), PadW: r.IntN(3),
			DilH: 1, DilW: 1, Group: 1}
		if it < len(fixed) {
			p = fixed[it]
		}
		if !convFits(p) || p.KH*p.KW == 1 {
			continue
		}
		n++
		bias := it%2 == 0
		l, x, w, b := buildConv(t, p, bias, r)
		if l.path != convDirect {
			t.Fatalf("%s: path %v, want direct", caseName(p), l.path)
		}
		want := ref.Conv(p, x.Data, w.Data, b)
		got := forwardGuarded(t, l, x, p)
		if err := coreClose(got, want, 1e-5); err != nil {
			t.Fatalf("%s bias %v: %v", caseName(p), bias, err)
		}
		l.setParallel(par)
		if err := coreExact(forwardGuarded(t, l, x, p), got); err != nil {
			t.Fatalf("%s, 3 threads vs 1: %v", caseName(p), err)
		}
		// Fused ReLU == this path's output with a ReLU applied after.
		relu := append([]float32(nil), got...)
		for i, v := range relu {
			if !(v > 0 || v != v) {
				relu[i] = 0
			}
		}
		l.fuse(epiStep{kind: epiReLU})
		if err := coreExact(forwardGuarded(t, l, x, p), relu); err != nil {
			t.Fatalf("%s, fused ReLU: %v", caseName(p), err)
		}
	}
	if n < 60+len(fixed) {
		t.Fatalf("only %d geometries drawn", n)
	}
}

// Too many taps, a tap buffer too wide, groups, a dilation, or a 1×1 kernel take the other paths.
func TestDirectPathChoice(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	base := ref.Conv2D{N: 1, In: 3, H: 31, W: 31, Out: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 1}
	mod := func(f func(*ref.Conv2D)) ref.Conv2D { p := base; f(&p); return p }
	cases := []struct {
		p    ref.Conv2D
		want convPath
	}{
		{base, convDirect},
		{mod(func(p *ref.Conv2D) { p.KH, p.KW, p.StrideH, p.StrideW = 11, 11, 4, 4 }), convDirect},
		{mod(func(p *ref.Conv2D) { p.In, p.KH, p.KW, p.StrideH, p.StrideW = 4, 11, 11, 4, 4 }), convGEMM},
		{mod(func(p *ref.Conv2D) { p.In, p.KH, p.KW = 1, 21, 21 }), convGEMM},
		{mod(func(p *ref.Conv2D) { p.KH, p.KW = 7, 7 }), convDirect},
		{mod(func(p *ref.Conv2D) { p.In = 17 }), convDirect},
		{mod(func(p *ref.Conv2D) { p.In = 18 }), convGEMM},
		{mod(func(p *ref.Conv2D) { p.W = 2000 }), convGEMM},
		{mod(func(p *ref.Conv2D) { p.DilH = 2 }), convGEMM},
		{mod(func(p *ref.Conv2D) { p.In, p.Out, p.Group = 4, 4, 2 }), convGEMM},
		{mod(func(p *ref.Conv2D) { p.KH, p.KW, p.StrideH, p.StrideW = 1, 1, 1, 1 }), conv1x1},
		{mod(func(p *ref.Conv2D) { p.KH, p.KW = 1, 1 }), convGEMM},
	}
	for _, c := range cases {
		if l, _, _, _ := buildConv(t, c.p, false, r); l.path != c.want {
			t.Errorf("%s: path %v, want %v", caseName(c.p), l.path, c.want)
		}
	}
}
