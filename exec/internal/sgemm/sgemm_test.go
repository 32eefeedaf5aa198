package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sentinel marks every float the call must not write (guards around C and
// the padding between its rows); its payload tells it apart from computed
// NaNs. A and B padding holds it too, so reading there poisons the result.
var sentinel = math.Float32frombits(0x7fc0dead)

const guard = 19 // sentinel floats before and after C

// gemmCase is one call: shapes, strides (as padding over the minimum) and
// scalars. nanC fills the live part of C with NaN (only meaningful with
// beta == 0, which must overwrite it).
type gemmCase struct {
	ta, tb           bool
	m, n, k          int
	padA, padB, padC int
	alpha, beta      float32
	nanC             bool
	threads          int // 0 = leave SetThreads alone
	seed1, seed2     uint64
	kernel           string
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("%s ta=%v tb=%v m=%d n=%d k=%d pads=%d,%d,%d alpha=%v beta=%v nanC=%v threads=%d",
		tc.kernel, tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.padA, tc.padB, tc.padC, tc.alpha, tc.beta, tc.nanC, tc.threads)
}

// storage returns a rows×cols row-major matrix with stride cols+pad whose
// padding holds the sentinel.
func storage(r *rand.Rand, rows, cols, pad int) ([]float32, int) {
	ld := cols + pad
	s := make([]float32, max(0, (rows-1)*ld+cols))
	for i := range s {
		if i%ld < cols {
			s[i] = r.Float32()*2 - 1
		} else {
			s[i] = sentinel
		}
	}
	return s, ld
}

// run executes the case with the active kernel and checks every element
// of the C buffer: live ones against a float64 triple loop within a
// k-proportional bound, everything else bit-for-bit untouched.
func (tc gemmCase) run(t *testing.T) {
	t.Helper()
	r := rand.New(rand.NewPCG(tc.seed1, tc.seed2))
	ar, ac := tc.m, tc.k
	if tc.ta {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tb {
		br, bc = tc.n, tc.k
	}
	a, lda := storage(r, ar, ac, tc.padA)
	b, ldb := storage(r, br, bc, tc.padB)
	ldc := tc.n + tc.padC
	buf := make([]float32, guard+(tc.m-1)*ldc+tc.n+guard)
	for i := range buf {
		buf[i] = sentinel
	}
	c := buf[guard : len(buf)-guard]
	live := func(idx int) bool { return idx >= 0 && idx < len(c) && idx%ldc < tc.n }
	for i := range c {
		if live(i) {
			if tc.nanC {
				c[i] = float32(math.NaN())
			} else {
				c[i] = r.Float32()*2 - 1
			}
		}
	}
	c0 := append([]float32(nil), c...)

	if tc.threads != 0 {
		old := int(threads.Load())
		SetThreads(tc.threads)
		defer SetThreads(old)
	}
	Sgemm(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)

	opA := func(i, p int) float64 {
		if tc.ta {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	opB := func(p, j int) float64 {
		if tc.tb {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	const u = 1.0 / (1 << 24) // float32 unit roundoff
	bad := 0
	for idx, got := range buf {
		ci := idx - guard
		if !live(ci) {
			if math.Float32bits(got) != math.Float32bits(sentinel) {
				t.Fatalf("%v: wrote outside C at buffer[%d] (C offset %d): %v", tc, idx, ci, got)
			}
			continue
		}
		i, j := ci/ldc, ci%ldc
		var sum, mag float64
		for p := 0; p < tc.k; p++ {
			x := opA(i, p) * opB(p, j)
			sum += x
			mag += math.Abs(x)
		}
		want := float64(tc.alpha) * sum
		bound := math.Abs(float64(tc.alpha)) * mag
		if tc.beta != 0 {
			want += float64(tc.beta) * float64(c0[ci])
			bound += math.Abs(float64(tc.beta) * float64(c0[ci]))
		}
		tol := 2*float64(tc.k+4)*u*bound + 1e-30
		if d := math.Abs(float64(got) - want); !(d <= tol) {
			t.Errorf("%v: C[%d][%d] = %v, want %v (|diff| %.3g > tol %.3g)", tc, i, j, got, want, d, tol)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
}

// forEachKernel runs f once per kernel this CPU and build provide, and for
// kernels that read row-major B in place once more with B packed, so both
// B paths of the driver are checked.
func forEachKernel(t *testing.T, f func(t *testing.T, s *isa)) {
	for _, name := range kernelNames() {
		prev, ok := useKernel(name)
		if !ok {
			t.Fatalf("kernel %s listed but not selectable", name)
		}
		s := activeISA()
		t.Run(name, func(t *testing.T) { f(t, s) })
		if s.directB {
			s.directB = false
			t.Run(name+"-packedB", func(t *testing.T) { f(t, s) })
			s.directB = true
		}
		useKernel(prev)
	}
}

var transCombos = [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}

// scalars cycles through the alpha/beta pairs the tail sweep uses: plain
// overwrite, accumulate, negative scaling, and beta == 0 over NaN.
var scalars = []struct {
	alpha, beta float32
	nanC        bool
}{
	{1, 0, false},
	{1, 1, false},
	{-0.5, -0.5, false},
	{1.5, 0, true},
	{0.75, 2, false},
}

// TestTails sweeps every m in 1..2·Mr+1 and n in 1..2·Nr+1 for each kernel,
// so every partial register tile (rows and columns) and the matrix-vector
// paths (m or n == 1) are hit, with depths of 1, a few, and beyond Kc.
func TestTails(t *testing.T) {
	forEachKernel(t, func(t *testing.T, s *isa) {
		blk := s.blk
		ks := []int{1, 5, blk.Kc + 7}
		if testing.Short() {
			ks = []int{1, blk.Kc + 7}
		}
		n := 0
		for _, tr := range transCombos {
			for _, k := range ks {
				for m := 1; m <= 2*blk.Mr+1; m++ {
					for nn := 1; nn <= 2*blk.Nr+1; nn++ {
						sc := scalars[n%len(scalars)]
						tc := gemmCase{
							ta: tr[0], tb: tr[1], m: m, n: nn, k: k,
							padA: n % 3, padB: (n / 3) % 3, padC: (n / 9) % 4,
							alpha: sc.alpha, beta: sc.beta, nanC: sc.nanC,
							threads: 1, seed1: uint64(n), seed2: 7,
							kernel: s.name,
						}
						tc.run(t)
						n++
					}
				}
			}
		}
	})
}

// TestScalars runs every alpha/beta pair on shapes with full and partial
// tiles in every transposition.
func TestScalars(t *testing.T) {
	forEachKernel(t, func(t *testing.T, s *isa) {
		blk := s.blk
		shapes := [][3]int{{2*blk.Mr + 3, 3*blk.Nr - 1, 37}, {blk.Mr, blk.Nr, blk.Kc + 1}, {1, 45, 70}, {70, 1, 45}}
		for _, alpha := range []float32{1, -0.5, 0.3, 0} {
			for _, beta := range []float32{0, 1, -0.5} {
				for _, nanC := range []bool{false, true} {
					if nanC && beta != 0 {
						continue
					}
					for _, tr := range transCombos {
						for i, sh := range shapes {
							gemmCase{
								ta: tr[0], tb: tr[1], m: sh[0], n: sh[1], k: sh[2],
								padA: 2, padB: 5, padC: 3, alpha: alpha, beta: beta, nanC: nanC,
								seed1: uint64(i), seed2: 11, kernel: s.name,
							}.run(t)
						}
					}
				}
			}
		}
	})
}

// TestLarge crosses every cache-block boundary (Mc, Nc, several Kc) and
// runs with one to four goroutines so the grid splits along rows, columns
// and both (TestGrid checks which).
func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large products are slow against the naive loop")
	}
	forEachKernel(t, func(t *testing.T, s *isa) {
		blk := s.blk
		shapes := [][3]int{
			{blk.Mc + blk.Mr + 3, blk.Nc + blk.Nr + 5, 2*blk.Kc + 9},
			{3 * blk.Mr, 2*blk.Nc + 3, 33},
			{5*blk.Mc + 1, 2 * blk.Nr, 129},
			{1, 3000, 700},
			{3000, 1, 700},
		}
		// Every shape meets every transposition; the goroutine count
		// rotates with them so each shape also runs with 1 to 4.
		for i, sh := range shapes {
			for j, tr := range transCombos {
				th := 1 + (i+j)%4
				gemmCase{
					ta: tr[0], tb: tr[1], m: sh[0], n: sh[1], k: sh[2],
					padA: 1, padB: 3, padC: 2, alpha: 0.5, beta: -1,
					threads: th, seed1: uint64(i), seed2: uint64(th),
					kernel: s.name,
				}.run(t)
			}
		}
	})
}

// TestVectors checks the dot/axpy helpers over every tail length of their
// unrolled loops.
func TestVectors(t *testing.T) {
	forEachKernel(t, func(t *testing.T, s *isa) {
		r := rand.New(rand.NewPCG(3, 4))
		for n := 0; n <= 150; n++ {
			x, _ := storage(r, 1, n, 0)
			y, _ := storage(r, 1, n+1, 0)
			y[n] = sentinel
			var want float64
			var mag float64
			for i := 0; i < n; i++ {
				want += float64(x[i]) * float64(y[i])
				mag += math.Abs(float64(x[i]) * float64(y[i]))
			}
			if got := s.dot(x, y[:n]); math.Abs(float64(got)-want) > 2*float64(n+2)*mag/(1<<24) {
				t.Fatalf("dot n=%d: %v want %v", n, got, want)
			}
			y0 := append([]float32(nil), y...)
			s.axpy(-1.25, x, y[:n])
			for i := 0; i < n; i++ {
				w := float64(y0[i]) - 1.25*float64(x[i])
				if math.Abs(float64(y[i])-w) > 1e-6 {
					t.Fatalf("axpy n=%d y[%d]=%v want %v", n, i, y[i], w)
				}
			}
			if math.Float32bits(y[n]) != math.Float32bits(sentinel) {
				t.Fatalf("axpy n=%d wrote past the end", n)
			}
		}
	})
}

// TestDegenerate covers the sizes BLAS special-cases: empty C, k == 0 and
// alpha == 0 (C = beta·C without touching A or B).
func TestDegenerate(t *testing.T) {
	nan := float32(math.NaN())
	c := []float32{nan, 2, sentinel, 5, nan}
	Sgemm(false, false, 2, 2, 0, 1, nil, 0, nil, 0, 0, c, 3)
	if c[0] != 0 || c[1] != 0 || c[3] != 0 || c[4] != 0 || math.Float32bits(c[2]) != math.Float32bits(sentinel) {
		t.Fatalf("k=0 beta=0: %v", c)
	}
	c = []float32{3, 4}
	Sgemm(false, false, 1, 2, 0, 1, nil, 0, nil, 0, 2, c, 2)
	if c[0] != 6 || c[1] != 8 {
		t.Fatalf("k=0 beta=2: %v", c)
	}
	a := []float32{nan, nan}
	c = []float32{3, 4}
	Sgemm(false, false, 1, 2, 1, 0, a, 1, a, 2, -1, c, 2)
	if c[0] != -3 || c[1] != -4 {
		t.Fatalf("alpha=0 must ignore A and B: %v", c)
	}
	Sgemm(false, false, 0, 2, 3, 1, nil, 0, nil, 0, 0, nil, 0)
	Sgemm(true, true, 3, 0, 3, 1, nil, 0, nil, 0, 0, nil, 0)
}

// TestBadArguments checks that short slices and strides panic before any
// assembly runs.
func TestBadArguments(t *testing.T) {
	a := make([]float32, 6)
	b := make([]float32, 6)
	c := make([]float32, 4)
	for name, call := range map[string]func(){
		"short c":    func() { Sgemm(false, false, 2, 3, 2, 1, a, 2, b, 3, 0, c, 3) },
		"short a":    func() { Sgemm(false, false, 2, 2, 4, 1, a, 4, make([]float32, 8), 2, 0, c, 2) },
		"short b":    func() { Sgemm(false, true, 2, 2, 3, 1, a, 3, b[:5], 3, 0, c, 2) },
		"small lda":  func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) },
		"small ldc":  func() { Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 1) },
		"negative m": func() { Sgemm(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			call()
		}()
	}
}

// TestEvenSplit pins the depth-blocking arithmetic.
func TestEvenSplit(t *testing.T) {
	for _, tc := range [][3]int{{576, 256, 192}, {256, 256, 256}, {257, 256, 129}, {1, 256, 1}, {2304, 256, 256}} {
		if got := evenSplit(tc[0], tc[1]); got != tc[2] {
			t.Errorf("evenSplit(%d, %d) = %d, want %d", tc[0], tc[1], got, tc[2])
		}
	}
}

// TestBlockingShapes checks the invariants the driver relies on.
func TestBlockingShapes(t *testing.T) {
	for _, s := range kernels {
		b := s.blk
		if b.Mc%b.Mr != 0 || b.Nc%b.Nr != 0 || b.Kc <= 0 {
			t.Errorf("%s: blocking %+v: Mc, Nc must be multiples of Mr, Nr", s.name, b)
		}
	}
}

// TestGrid checks the work split: the grid stays within chunksPerThread
// blocks per goroutine, cuts along the long side, avoids repacking the
// large operand, and its shares tile the panel range exactly.
func TestGrid(t *testing.T) {
	blk := blockingAVX512
	s := &isa{name: "test", blk: blk, directB: true}
	for _, tc := range []struct {
		m, n, k, t int
		tm, tn     int
	}{
		{64, 3136, 576, 2, 1, 8},   // few rows: split columns (A is repacked, but small)
		{3136, 64, 576, 2, 8, 1},   // few columns: split rows
		{512, 49, 2048, 2, 8, 1},   // two column panels, 37 row panels
		{256, 196, 2304, 2, 7, 1},  // split rows: no block repacks the large A
		{157, 1061, 521, 4, 4, 4},  // 12×34 panels: both ways
		{14, 32, 1000, 4, 1, 1},    // a single tile cannot be split
		{28, 32 * 5, 100, 8, 2, 5}, // 2×5 panels: one tile each
	} {
		pr := &problem{m: tc.m, n: tc.n, k: tc.k, isa: s}
		mp, np := ceilDiv(tc.m, blk.Mr), ceilDiv(tc.n, blk.Nr)
		tm, tn := pr.grid(tc.t, mp, np)
		if tm != tc.tm || tn != tc.tn {
			t.Errorf("grid(%d threads) for %d×%d×%d = %d×%d, want %d×%d", tc.t, tc.m, tc.n, tc.k, tm, tn, tc.tm, tc.tn)
		}
		if tm*tn > chunksPerThread*tc.t || tm > mp || tn > np {
			t.Errorf("grid(%d threads) for %d×%d panels = %d×%d: too many blocks", tc.t, mp, np, tm, tn)
		}
	}
	for n := 1; n < 40; n++ {
		for parts := 1; parts <= n; parts++ {
			if part(n, parts, 0) != 0 || part(n, parts, parts) != n {
				t.Fatalf("part(%d, %d) does not span [0, n)", n, parts)
			}
			for i := 0; i < parts; i++ {
				if size := part(n, parts, i+1) - part(n, parts, i); size < n/parts || size > n/parts+1 {
					t.Fatalf("part(%d, %d, %d) has size %d", n, parts, i, size)
				}
			}
		}
	}
}
