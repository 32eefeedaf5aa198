package sgemm

import "fmt"

//go:generate go run -C ../../../_asm . -out ../exec/internal/sgemm

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(A) is m×k, op(B) is k×n and C is m×n; transA/transB select the
// transposed storage of A (k×m) and B (n×k). lda, ldb, ldc are row strides.
// beta == 0 overwrites C without reading it (NaN in C does not leak), and an
// empty product (k == 0 or alpha == 0) leaves beta·C, as BLAS does.
//
// The signature matches exec/internal/gemm.Sgemm. Mis-sized arguments are
// programming errors and panic before any memory is touched: the assembly
// kernels write through raw pointers, so every bound is checked here.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("c", c, m, n, ldc)
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if transA {
		checkMatrix("a", a, k, m, lda)
	} else {
		checkMatrix("a", a, m, k, lda)
	}
	if transB {
		checkMatrix("b", b, n, k, ldb)
	} else {
		checkMatrix("b", b, k, n, ldb)
	}
	p := &problem{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
		isa: activeISA(),
	}
	if m == 1 || n == 1 {
		p.gemv()
		return
	}
	p.blocked()
}

// problem is one Sgemm call, shared read-only by its worker goroutines.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	isa            *isa
}

// checkMatrix panics unless s holds a rows×cols row-major matrix with row
// stride ld; the last row need not be padded to ld.
func checkMatrix(name string, s []float32, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("sgemm: ld%s=%d < %d columns", name, ld, cols))
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("sgemm: len(%s)=%d < %d needed for %d×%d with stride %d", name, len(s), need, rows, cols, ld))
	}
}

// scaleC sets C = beta·C, clearing it (NaNs included) when beta is zero.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}
