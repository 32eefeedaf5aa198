package sgemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// dot4 gives each of its four rows exactly dot's result (same bits), for
// every length across the 64- and 16-wide loops and the masked tail, with
// padded rows (lda > n), and reads nothing past the last row's n values.
func TestDot4MatchesDot(t *testing.T) {
	forEachKernel(t, func(t *testing.T, s *isa) {
		if s.dot4 == nil {
			t.Skip("no dot4 in this kernel")
		}
		r := rand.New(rand.NewPCG(91, 92))
		for n := 0; n <= 150; n++ {
			for _, pad := range []int{0, 3} {
				lda := n + pad
				y, _ := storage(r, 1, n, 0)
				a, _ := storage(r, 1, 3*lda+n, 0)
				got := s.dot4(a, lda, y)
				for q := 0; q < 4; q++ {
					want := s.dot(a[q*lda:q*lda+n], y)
					if math.Float32bits(got[q]) != math.Float32bits(want) {
						t.Fatalf("n=%d lda=%d row %d: %v, dot gives %v", n, lda, q, got[q], want)
					}
				}
			}
		}
	})
}

// The matrix-vector paths that use dot4 (four rows at a time, then single
// rows) against the float64 reference: m·1 products with m not a multiple
// of 4, row-strided A, and beta accumulating into a strided C.
func TestGemvDot4Rows(t *testing.T) {
	forEachKernel(t, func(t *testing.T, s *isa) {
		r := rand.New(rand.NewPCG(93, 94))
		for _, m := range []int{1, 3, 4, 5, 9, 38} {
			for _, k := range []int{1, 17, 70, 300} {
				a, lda := storage(r, m, k, 5)
				b, _ := storage(r, k, 1, 0)
				c, _ := storage(r, m, 1, 1)
				c0 := append([]float32(nil), c...)
				Sgemm(false, false, m, 1, k, 0.5, a, lda, b, 1, 2, c, 2)
				for i := 0; i < m; i++ {
					var want, mag float64
					for p := 0; p < k; p++ {
						want += float64(a[i*lda+p]) * float64(b[p])
						mag += math.Abs(float64(a[i*lda+p]) * float64(b[p]))
					}
					want = 0.5*want + 2*float64(c0[2*i])
					if d := math.Abs(float64(c[2*i]) - want); d > 4*float64(k+2)*(mag+math.Abs(want))/(1<<24) {
						t.Fatalf("m=%d k=%d c[%d] = %v, want %v", m, k, i, c[2*i], want)
					}
					if i+1 < m && math.Float32bits(c[2*i+1]) != math.Float32bits(c0[2*i+1]) {
						t.Fatalf("m=%d k=%d: C padding at %d changed", m, k, 2*i+1)
					}
				}
			}
		}
	})
}
