package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naive computes the same product with float64 accumulation.
func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := append([]float32(nil), c...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			prev := float64(0)
			if beta != 0 {
				prev = float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float32(float64(alpha)*s + prev)
		}
	}
	return out
}

func TestSgemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ m, n, k int }{{1, 1, 1}, {3, 5, 7}, {17, 13, 11}, {2, 97, 3}, {64, 65, 66}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, beta := range []float32{0, 1, 0.5} {
					m, n, k := tc.m, tc.n, tc.k
					lda, ldb := k, n
					if ta {
						lda = m
					}
					if tb {
						ldb = k
					}
					a := randSlice(r, m*k)
					b := randSlice(r, k*n)
					ldc := n + 2 // strided C: padding columns must stay untouched
					c := randSlice(r, m*ldc)
					want := naive(ta, tb, m, n, k, 1.5, a, lda, b, ldb, beta, c, ldc)
					Sgemm(ta, tb, m, n, k, 1.5, a, lda, b, ldb, beta, c, ldc)
					for i := range c {
						if d := math.Abs(float64(c[i] - want[i])); d > 1e-4*math.Max(1, math.Abs(float64(want[i]))) {
							t.Fatalf("m%d n%d k%d ta=%v tb=%v beta=%v: c[%d]=%v want %v", m, n, k, ta, tb, beta, i, c[i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestSgemmDegenerate(t *testing.T) {
	c := []float32{float32(math.NaN()), 2}
	Sgemm(false, false, 1, 2, 0, 1, nil, 0, nil, 0, 0, c, 2)
	if c[0] != 0 || c[1] != 0 {
		t.Fatalf("k=0 beta=0 must clear C, got %v", c)
	}
	c = []float32{3, 4}
	Sgemm(false, false, 1, 2, 0, 1, nil, 0, nil, 0, 2, c, 2)
	if c[0] != 6 || c[1] != 8 {
		t.Fatalf("k=0 beta=2 must scale C, got %v", c)
	}
	Sgemm(false, false, 0, 2, 3, 1, nil, 0, nil, 0, 0, nil, 0) // no-op, must not panic
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}
