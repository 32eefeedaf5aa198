//go:build amd64 && !purego

package exec

import (
	"math"

	"golang.org/x/sys/cpu"
)

// hasAVX2 selects the vector kernels of simd_amd64.s (AVX2 with FMA;
// x/sys/cpu also checks that the OS saves the YMM state).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dwRow3AVX2 computes out[i] = Σ w[3·ky+kx]·r_ky[i+kx] (ky, kx < 3) for
// i < n, n a multiple of 8; each r_ky must hold n+2 values. The products
// are summed in w's order with fused multiply-adds.
//
//go:noescape
func dwRow3AVX2(out, r0, r1, r2, w *float32, n int)

// affineAVX2 sets row[i] = (((row[i] + k[0]) − k[1])·k[2])·k[3] + k[4],
// then, with relu, 0 unless the result is > 0 or NaN, for i < n, n a
// multiple of 8: the operations of affineRow, one rounding each.
//
//go:noescape
func affineAVX2(row *float32, n int, k *[5]float32, relu bool)

// dwRow3S2AVX2 is dwRow3AVX2 with stride 2: r_ky[2i+kx]; each r_ky must
// hold 2n+2 values.
//
//go:noescape
func dwRow3S2AVX2(out, r0, r1, r2, w *float32, n int)

// dwRow3S2Vec runs dwRow3S2AVX2 on the longest multiple of 8 of len(out)
// and returns how many outputs it computed (0 without AVX2).
func dwRow3S2Vec(out, r0, r1, r2, w []float32) int {
	n := len(out) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_, _, _, _ = r0[2*n+1], r1[2*n+1], r2[2*n+1], w[8]
	dwRow3S2AVX2(&out[0], &r0[0], &r1[0], &r2[0], &w[0], n)
	return n
}

// dwRow3Vec runs dwRow3AVX2 on the longest multiple of 8 of len(out) and
// returns how many outputs it computed (0 without AVX2).
func dwRow3Vec(out, r0, r1, r2, w []float32) int {
	n := len(out) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_, _, _, _ = r0[n+1], r1[n+1], r2[n+1], w[8]
	dwRow3AVX2(&out[0], &r0[0], &r1[0], &r2[0], &w[0], n)
	return n
}

// affineVec runs affineAVX2 on the longest multiple of 8 of len(row) and
// returns how many values it did.
func affineVec(row []float32, k *[5]float32, relu bool) int {
	n := len(row) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	affineAVX2(&row[0], n, k, relu)
	return n
}

//go:noescape
func hscan3AVX2(dst, src *float32, n, stride int, lowest float32)

//go:noescape
func hscan2S2AVX2(dst, src *float32, n int, lowest float32)

//go:noescape
func vscanAVX2(dst, src *float32, n int)

// hscanVec sets dst[i] to the max-pooling scan of src[s·i … s·i+k−1]
// (from -FLT_MAX, strict >) for the longest multiple of 8 of len(dst)
// that the kernels cover for this window and src, and returns how many.
// Windows 3×1 with stride 1 or 2 and 2×1 with stride 2 have kernels.
func hscanVec(dst, src []float32, k, s int) int {
	if !hasAVX2 {
		return 0
	}
	n := len(dst) &^ 7
	var need func(n int) int // values of src the kernel reads
	switch {
	case k == 3 && s == 1:
		need = func(n int) int { return n + 2 }
	case k == 3 && s == 2:
		need = func(n int) int { return 2*n + 2 }
	case k == 2 && s == 2:
		need = func(n int) int { return 2 * n }
	default:
		return 0
	}
	for n > 0 && need(n) > len(src) {
		n -= 8
	}
	if n == 0 {
		return 0
	}
	if k == 2 {
		hscan2S2AVX2(&dst[0], &src[0], n, -math.MaxFloat32)
	} else {
		hscan3AVX2(&dst[0], &src[0], n, s, -math.MaxFloat32)
	}
	return n
}

// vscanVec sets dst[i] = src[i] when src[i] > dst[i] for the longest
// multiple of 8 of len(dst) and returns how many.
func vscanVec(dst, src []float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_ = src[n-1]
	vscanAVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func lrnSqAccAVX2(acc, x *float32, n int)

//go:noescape
func lrnPow75AVX2(y, x, s *float32, n int, k, coef float32)

// lrnSqAccVec runs lrnSqAccAVX2 on the longest multiple of 8 of len(acc)
// (x at least as long) and returns how many values it did.
func lrnSqAccVec(acc, x []float32) int {
	n := len(acc) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_ = x[n-1]
	lrnSqAccAVX2(&acc[0], &x[0], n)
	return n
}

// lrnPow75Vec runs lrnPow75AVX2 on the longest multiple of 8 of len(y)
// (x and s at least as long) and returns how many values it did.
func lrnPow75Vec(y, x, s []float32, k, coef float32) int {
	n := len(y) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_, _ = x[n-1], s[n-1]
	lrnPow75AVX2(&y[0], &x[0], &s[0], n, k, coef)
	return n
}

//go:noescape
func eltAxpyAVX2(acc, x *float32, n int, c float32)

// eltAxpyVec runs eltAxpyAVX2 on the longest multiple of 8 of len(acc)
// (x at least as long) and returns how many values it did.
func eltAxpyVec(acc, x []float32, c float32) int {
	n := len(acc) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_ = x[n-1]
	eltAxpyAVX2(&acc[0], &x[0], n, c)
	return n
}

//go:noescape
func pool3AVX2(dst, r0, r1, r2 *float32, n, stride int, lowest float32)

// pool3Vec runs pool3AVX2 (stride s, 1 or 2) on the longest multiple of 8
// of len(dst) whose windows, and the kernel's reads past them, fit in
// r0, r1 and r2, and returns how many outputs it computed.
func pool3Vec(dst, r0, r1, r2 []float32, s int) int {
	if !hasAVX2 || (s != 1 && s != 2) {
		return 0
	}
	n := len(dst) &^ 7
	for n > 0 && s*n+2 > min(len(r0), len(r1), len(r2)) {
		n -= 8
	}
	if n == 0 {
		return 0
	}
	pool3AVX2(&dst[0], &r0[0], &r1[0], &r2[0], n, s, -math.MaxFloat32)
	return n
}

//go:noescape
func directRow4AVX2(out *float32, plane int, taps *float32, ldt int, w *float32, k, n int)

// directRow4Vec runs directRow4AVX2 for output channels q..q+3 on the
// longest multiple of 8 of n columns and returns how many it did; out
// starts at channel q's row, plane apart per channel, and w at q's
// weights (k per channel).
func directRow4Vec(out []float32, plane int, taps []float32, ldt int, w []float32, k, n int) int {
	n &^= 7
	if !hasAVX2 || n == 0 || k == 0 {
		return 0
	}
	_, _, _ = out[3*plane+n-1], taps[(k-1)*ldt+n-1], w[4*k-1]
	directRow4AVX2(&out[0], plane, &taps[0], ldt, &w[0], k, n)
	return n
}
