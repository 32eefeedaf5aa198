package sgemm

// genericISA is the pure-Go implementation: the fallback on CPUs without
// AVX2+FMA, on other architectures, and under the purego build tag.
var genericISA = &isa{
	name:   "generic",
	blk:    blockingGeneric,
	kernel: kernelGeneric,
	packB: func(dst, src []float32, ldb, kc, nr int) {
		packRows(dst, src, ldb, kc, nr, blockingGeneric.Nr)
	},
	dot:  dotGeneric,
	axpy: axpyGeneric,
}

// kernelGeneric is the 4×4 micro-kernel. The sixteen scalar accumulators
// stay in registers; the three-index slices let the compiler drop the bounds
// checks inside the k loop.
func kernelGeneric(kc int, ap, bp []float32, ldb int, c []float32, ldc int, alpha, beta float32, mr, nr int) {
	const mR, nR = 4, 4
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	ap, bp = ap[:kc*mR], bp[:kc*nR]
	for p := 0; p < kc; p++ {
		a := ap[p*mR : p*mR+mR : p*mR+mR]
		b := bp[p*nR : p*nR+nR : p*nR+nR]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [mR * nR]float32{
		c00, c01, c02, c03,
		c10, c11, c12, c13,
		c20, c21, c22, c23,
		c30, c31, c32, c33,
	}
	storeTile(acc[:], nR, mr, nr, c, ldc, alpha, beta)
}

// storeTile writes C[i][j] = alpha·acc[i·stride+j] + beta·C[i][j] for
// i < mr, j < nr, never reading C when beta is zero.
func storeTile(acc []float32, stride, mr, nr int, c []float32, ldc int, alpha, beta float32) {
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		t := acc[i*stride : i*stride+nr]
		if beta == 0 {
			for j := range row {
				row[j] = alpha * t[j]
			}
			continue
		}
		for j := range row {
			row[j] = alpha*t[j] + beta*row[j]
		}
	}
}

// packRows packs kc rows of nr columns of row-major B (stride ldb) into a
// panel of width w ≥ nr, zero-filling the extra columns.
func packRows(dst, src []float32, ldb, kc, nr, w int) {
	for p := 0; p < kc; p++ {
		d := dst[p*w : p*w+w]
		copy(d, src[p*ldb:p*ldb+nr])
		clear(d[nr:])
	}
}

func dotGeneric(x, y []float32) float32 {
	var s0, s1, s2, s3 float32
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
