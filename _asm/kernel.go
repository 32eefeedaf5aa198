package main

import "strings"

// Register tiles; they must equal the Mr/Nr of the matching blocking in
// exec/internal/sgemm/blocking.go (its tests would fail otherwise).
const (
	avx512Mr = 14 // rows of C, one broadcast of packed A each per k step
	avx512Nr = 32 // columns of C, two zmm of packed B per k step
	avx2Mr   = 6
	avx2Nr   = 16
	unroll   = 4 // k steps per main-loop iteration

	// prefetchRows is how many k steps ahead the AVX-512 kernel prefetches
	// B: far enough to cover a miss to memory when B is read in place.
	prefetchRows = 16
)

// genKernelAVX512 emits the 14×32 AVX-512 micro-kernel. Accumulators are
// Z0..Z27 (row r in Z2r, Z2r+1), packed B goes to Z28/Z29 and the A
// broadcasts alternate between Z30 and Z31. The C update honours mr (rows)
// and a 32-bit column mask so edge tiles are written in place, and it never
// reads C when beta is zero so NaNs there are overwritten, not propagated.
func genKernelAVX512(a *asm) {
	const mr = avx512Mr
	a.text("kernelAVX512", "func kernelAVX512(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mr, mask int)", 72)
	a.i("MOVQ k+0(FP), CX")
	a.i("MOVQ a+8(FP), SI")
	a.i("MOVQ b+16(FP), DI")
	a.i("MOVQ ldb+24(FP), R12")
	a.i("SHLQ $2, R12")
	a.i("MOVQ c+32(FP), DX")
	a.i("MOVQ ldc+40(FP), R8")
	a.i("SHLQ $2, R8")
	a.i("MOVQ mr+56(FP), R9")
	a.i("MOVQ mask+64(FP), AX")
	a.i("KMOVW AX, K1")
	a.i("SHRQ $16, AX")
	a.i("KMOVW AX, K2")
	a.comment("R13 = 3·ldb and BX = 4·ldb bytes address the unrolled B rows;")
	a.comment("R10 runs %d rows ahead of DI: prefetching B matters when it is read in place.", prefetchRows)
	a.i("LEAQ (R12)(R12*2), R13")
	a.i("LEAQ (R12*4), BX")
	a.i("MOVQ R12, R10")
	a.i("IMULQ $%d, R10", prefetchRows)
	a.i("ADDQ DI, R10")

	a.comment("Pull the C tile toward L1 now; it is needed only after the k loop.")
	a.i("MOVQ DX, R11")
	a.i("MOVQ R9, AX")
	a.label("prefetchC")
	a.i("PREFETCHT0 (R11)")
	a.i("PREFETCHT0 64(R11)")
	a.i("PREFETCHT0 127(R11)")
	a.i("ADDQ R8, R11")
	a.i("DECQ AX")
	a.i("JNZ prefetchC")

	for r := 0; r < 2*mr; r++ {
		a.i("VPXORD Z%d, Z%d, Z%d", r, r, r)
	}
	// step multiplies B row (DI)+brow (an addressing suffix) by the mr A
	// values at ao(SI). B loads are masked so a partial panel of unpacked B
	// never reads past its last column.
	step := func(ao int, brow string) {
		a.i("VMOVUPS.Z %s, K1, Z28", "0"+brow)
		a.i("VMOVUPS.Z %s, K2, Z29", "64"+brow)
		a.i("PREFETCHT0 %s", "0"+strings.Replace(brow, "DI", "R10", 1))
		a.i("PREFETCHT0 %s", "64"+strings.Replace(brow, "DI", "R10", 1))
		for r := 0; r < mr; r++ {
			z := 30 + r%2
			a.i("VBROADCASTSS %d(SI), Z%d", ao+4*r, z)
			a.i("VFMADD231PS Z%d, Z28, Z%d", z, 2*r)
			a.i("VFMADD231PS Z%d, Z29, Z%d", z, 2*r+1)
		}
	}
	rows := []string{"(DI)", "(DI)(R12*1)", "(DI)(R12*2)", "(DI)(R13*1)"}
	a.i("CMPQ CX, $%d", unroll)
	a.i("JLT tail")
	a.label("loop")
	for u := 0; u < unroll; u++ {
		step(u*mr*4, rows[u])
	}
	a.i("ADDQ $%d, SI", unroll*mr*4)
	a.i("ADDQ BX, DI")
	a.i("ADDQ BX, R10")
	a.i("SUBQ $%d, CX", unroll)
	a.i("CMPQ CX, $%d", unroll)
	a.i("JGE loop")
	a.label("tail")
	a.i("TESTQ CX, CX")
	a.i("JZ store")
	a.label("tail1")
	step(0, rows[0])
	a.i("ADDQ $%d, SI", mr*4)
	a.i("ADDQ R12, DI")
	a.i("ADDQ R12, R10")
	a.i("DECQ CX")
	a.i("JNZ tail1")

	a.label("store")
	a.i("VBROADCASTSS alpha+48(FP), Z30")
	a.i("VBROADCASTSS beta+52(FP), Z31")
	a.comment("beta == ±0 must not read C.")
	a.i("MOVL beta+52(FP), AX")
	a.i("ANDL $0x7fffffff, AX")
	a.i("JZ store0")
	for _, withBeta := range []bool{true, false} {
		if !withBeta {
			a.label("store0")
		}
		for r := 0; r < mr; r++ {
			lo, hi := 2*r, 2*r+1
			a.i("VMULPS Z30, Z%d, Z%d", lo, lo)
			a.i("VMULPS Z30, Z%d, Z%d", hi, hi)
			if withBeta {
				a.i("VMOVUPS.Z (DX), K1, Z28")
				a.i("VMOVUPS.Z 64(DX), K2, Z29")
				a.i("VFMADD231PS Z31, Z28, Z%d", lo)
				a.i("VFMADD231PS Z31, Z29, Z%d", hi)
			}
			a.i("VMOVUPS Z%d, K1, (DX)", lo)
			a.i("VMOVUPS Z%d, K2, 64(DX)", hi)
			if r < mr-1 {
				a.i("DECQ R9")
				a.i("JZ done")
				a.i("ADDQ R8, DX")
			}
		}
		if withBeta {
			a.i("JMP done")
		}
	}
	a.label("done")
	a.i("VZEROUPPER")
	a.i("RET")
}

// genKernelAVX2 emits the 6×16 AVX2+FMA micro-kernel: accumulators Y0..Y11
// (row r in Y2r, Y2r+1), packed B in Y12/Y13, A broadcasts in Y14/Y15. It
// always writes a full tile; the Go side routes edge tiles through a
// scratch tile.
func genKernelAVX2(a *asm) {
	const mr, nr = avx2Mr, avx2Nr
	a.text("kernelAVX2", "func kernelAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)", 48)
	a.i("MOVQ k+0(FP), CX")
	a.i("MOVQ a+8(FP), SI")
	a.i("MOVQ b+16(FP), DI")
	a.i("MOVQ c+24(FP), DX")
	a.i("MOVQ ldc+32(FP), R8")
	a.i("SHLQ $2, R8")

	a.i("MOVQ DX, R10")
	for r := 0; r < mr; r++ {
		a.i("PREFETCHT0 (R10)")
		a.i("PREFETCHT0 63(R10)")
		if r < mr-1 {
			a.i("ADDQ R8, R10")
		}
	}
	for r := 0; r < 2*mr; r++ {
		a.i("VXORPS Y%d, Y%d, Y%d", r, r, r)
	}
	step := func(ao, bo int) {
		a.i("VMOVUPS %d(DI), Y12", bo)
		a.i("VMOVUPS %d(DI), Y13", bo+32)
		for r := 0; r < mr; r++ {
			y := 14 + r%2
			a.i("VBROADCASTSS %d(SI), Y%d", ao+4*r, y)
			a.i("VFMADD231PS Y%d, Y12, Y%d", y, 2*r)
			a.i("VFMADD231PS Y%d, Y13, Y%d", y, 2*r+1)
		}
	}
	a.i("CMPQ CX, $%d", unroll)
	a.i("JLT tail")
	a.label("loop")
	for u := 0; u < unroll; u++ {
		step(u*mr*4, u*nr*4)
	}
	a.i("ADDQ $%d, SI", unroll*mr*4)
	a.i("ADDQ $%d, DI", unroll*nr*4)
	a.i("SUBQ $%d, CX", unroll)
	a.i("CMPQ CX, $%d", unroll)
	a.i("JGE loop")
	a.label("tail")
	a.i("TESTQ CX, CX")
	a.i("JZ store")
	a.label("tail1")
	step(0, 0)
	a.i("ADDQ $%d, SI", mr*4)
	a.i("ADDQ $%d, DI", nr*4)
	a.i("DECQ CX")
	a.i("JNZ tail1")

	a.label("store")
	a.i("VBROADCASTSS alpha+40(FP), Y14")
	a.i("VBROADCASTSS beta+44(FP), Y15")
	a.comment("beta == ±0 must not read C.")
	a.i("MOVL beta+44(FP), AX")
	a.i("ANDL $0x7fffffff, AX")
	a.i("JZ store0")
	for _, withBeta := range []bool{true, false} {
		if !withBeta {
			a.label("store0")
		}
		for r := 0; r < mr; r++ {
			lo, hi := 2*r, 2*r+1
			a.i("VMULPS Y14, Y%d, Y%d", lo, lo)
			a.i("VMULPS Y14, Y%d, Y%d", hi, hi)
			if withBeta {
				a.i("VFMADD231PS (DX), Y15, Y%d", lo)
				a.i("VFMADD231PS 32(DX), Y15, Y%d", hi)
			}
			a.i("VMOVUPS Y%d, (DX)", lo)
			a.i("VMOVUPS Y%d, 32(DX)", hi)
			if r < mr-1 {
				a.i("ADDQ R8, DX")
			}
		}
		if withBeta {
			a.i("JMP done")
		}
	}
	a.label("done")
	a.i("VZEROUPPER")
	a.i("RET")
}
