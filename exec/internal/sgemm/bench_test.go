package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are typical of the exec callers: im2col convolutions
// (C = W·col), a fully connected layer with transposed weights, a GEMV-like
// single-image inner product, a square reference, and a small convolution
// where call overhead shows.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"conv3x3_64x3136x576", false, false, 64, 3136, 576},
	{"conv3x3_256x196x2304", false, false, 256, 196, 2304},
	{"conv1x1_512x49x2048", false, false, 512, 49, 2048},
	{"fc_64x1000x4096_tB", false, true, 64, 1000, 4096},
	{"gemv_1000x1x4096", false, false, 1000, 1, 4096},
	{"square_512", false, false, 512, 512, 512},
	{"small_32x196x144", false, false, 32, 196, 144},
}

// BenchmarkSgemm reports GFLOP/s for every kernel on this CPU and for
// gonum's Sgemm (the peer) on the same shapes, with GOMAXPROCS 1 and 2 so
// both implementations get the same cores. best-GFLOP/s is the fastest
// single call, which is what a shared, busy machine still measures well.
func BenchmarkSgemm(b *testing.B) {
	impls := append(kernelNames(), "gonum")
	for _, sh := range benchShapes {
		r := rand.New(rand.NewPCG(1, 2))
		a := randFloats(r, sh.m*sh.k)
		bm := randFloats(r, sh.k*sh.n)
		c := randFloats(r, sh.m*sh.n)
		lda, ldb := sh.k, sh.n
		if sh.transA {
			lda = sh.m
		}
		if sh.transB {
			ldb = sh.k
		}
		for _, impl := range impls {
			for _, procs := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/threads=%d", sh.name, impl, procs), func(b *testing.B) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
					call := func() {
						Sgemm(sh.transA, sh.transB, sh.m, sh.n, sh.k, 1, a, lda, bm, ldb, 0, c, sh.n)
					}
					if impl == "gonum" {
						var g gonum.Implementation
						ta, tb := blas.NoTrans, blas.NoTrans
						if sh.transA {
							ta = blas.Trans
						}
						if sh.transB {
							tb = blas.Trans
						}
						call = func() {
							g.Sgemm(ta, tb, sh.m, sh.n, sh.k, 1, a, lda, bm, ldb, 0, c, sh.n)
						}
					} else {
						prev, _ := useKernel(impl)
						defer useKernel(prev)
					}
					call() // warm caches and pools
					fastest := time.Duration(math.MaxInt64)
					for b.Loop() {
						t0 := time.Now()
						call()
						fastest = min(fastest, time.Since(t0))
					}
					flops := 2 * float64(sh.m) * float64(sh.n) * float64(sh.k)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					b.ReportMetric(flops/fastest.Seconds()/1e9, "best-GFLOP/s")
				})
			}
		}
	}
}

func randFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// BenchmarkKernel runs one micro-kernel call at Kc depth on L1-resident
// packed panels: the ceiling the blocked driver can approach.
func BenchmarkKernel(b *testing.B) {
	for _, name := range kernelNames() {
		b.Run(name, func(b *testing.B) {
			prev, _ := useKernel(name)
			defer useKernel(prev)
			s := activeISA()
			blk := s.blk
			// Aligned like the packing buffers; random values.
			r := rand.New(rand.NewPCG(5, 6))
			ap := alignedFloats(blk.Kc * blk.Mr)
			bp := alignedFloats(blk.Kc * blk.Nr)
			copy(ap, randFloats(r, len(ap)))
			copy(bp, randFloats(r, len(bp)))
			c := alignedFloats(blk.Mr * blk.Nr)
			for b.Loop() {
				s.kernel(blk.Kc, ap, bp, blk.Nr, c, blk.Nr, 1, 1, blk.Mr, blk.Nr)
			}
			flops := 2 * float64(blk.Kc*blk.Mr*blk.Nr) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
