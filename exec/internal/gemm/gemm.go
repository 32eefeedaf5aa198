// Package gemm is the one matrix-multiply seam used by the exec kernels.
// It forwards to exec/internal/sgemm: a blocked SGEMM with AVX-512/AVX2
// micro-kernels (a pure-Go kernel elsewhere) that splits large products
// across goroutines. gonum's Sgemm, which this package used before,
// remains sgemm's benchmark peer.
package gemm

import "github.com/caffetool/caffetool/exec/internal/sgemm"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(A) is m×k, op(B) is k×n and C is m×n; transA/transB select the
// transposed storage of A (k×m) and B (n×k). lda, ldb, ldc are row strides.
// An empty product (k == 0 or alpha == 0) leaves beta·C, with beta 0
// clearing C, as BLAS does.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SetThreads sets how many goroutines one Sgemm call may use (≤ 0:
// GOMAXPROCS). The setting is process-wide.
func SetThreads(n int) { sgemm.SetThreads(n) }
