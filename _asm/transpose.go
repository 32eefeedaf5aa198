package main

import "fmt"

// genTransposeAVX512 emits the packers that need a transpose: row-major A
// into 14-row panels (element (r, p) at p·14 + r) and transposed B (stored
// n×k) into 32-column panels, one 16-column half per call. Both take
// 16×16 tiles — 16 source rows × 16 depth steps — through the usual
// three-stage unpack/shuffle transpose and store one vector per depth step.
// Only whole tiles are handled; the Go side packs the ragged remainder.
func genTransposeAVX512(a *asm) {
	genTranspose(a, "packATAVX512", "func packATAVX512(dst, src *float32, lda, blocks int)", "lda", avx512Mr, avx512Mr*4)
	genTranspose(a, "packBTAVX512", "func packBTAVX512(dst, src *float32, ldb, blocks int)", "ldb", 16, avx512Nr*4)
}

// genTranspose emits one packer: rows source rows (≤ 16, the rest read as
// zero) are transposed and depth step p is stored at dst + p·stride, rows
// floats wide (masked when rows < 16).
func genTranspose(a *asm, name, decl, ld string, rows, stride int) {
	a.text(name, decl, 32)
	a.i("MOVQ dst+0(FP), DI")
	a.i("MOVQ src+8(FP), SI")
	a.i("MOVQ %s+16(FP), R8", ld)
	a.i("SHLQ $2, R8")
	a.i("MOVQ blocks+24(FP), CX")
	store := "VMOVUPS Z%d, %d(DI)"
	if rows < 16 {
		a.i("MOVL $0x%x, AX", 1<<rows-1)
		a.i("KMOVW AX, K1")
		store = "VMOVUPS Z%d, K1, %d(DI)"
	}
	a.i("TESTQ CX, CX")
	a.i("JZ done")
	a.label("loop")
	a.i("MOVQ SI, R10")
	for r := 0; r < 16; r++ {
		if r >= rows {
			a.i("VPXORD Z%d, Z%d, Z%d", r, r, r)
			continue
		}
		a.i("VMOVUPS (R10), Z%d", r)
		if r < rows-1 {
			a.i("ADDQ R8, R10")
		}
	}
	a.comment("Interleave row pairs: lane L of Z16+2i = r2i[4L], r2i+1[4L], r2i[4L+1], r2i+1[4L+1].")
	for i := 0; i < 8; i++ {
		a.i("VUNPCKLPS Z%d, Z%d, Z%d", 2*i+1, 2*i, 16+2*i)
		a.i("VUNPCKHPS Z%d, Z%d, Z%d", 2*i+1, 2*i, 17+2*i)
	}
	a.comment("Pairs of pairs: lane L of Z4i+j = rows 4i..4i+3 at column 4L+j.")
	for i := 0; i < 4; i++ {
		t0, t1, t2, t3 := 16+4*i, 17+4*i, 18+4*i, 19+4*i
		a.i("VUNPCKLPD Z%d, Z%d, Z%d", t2, t0, 4*i)
		a.i("VUNPCKHPD Z%d, Z%d, Z%d", t2, t0, 4*i+1)
		a.i("VUNPCKLPD Z%d, Z%d, Z%d", t3, t1, 4*i+2)
		a.i("VUNPCKHPD Z%d, Z%d, Z%d", t3, t1, 4*i+3)
	}
	a.comment("Gather lane L of Zj, Z4+j, Z8+j, Z12+j into column 4L+j.")
	for j := 0; j < 4; j++ {
		a.i("VSHUFF32X4 $0x44, Z%d, Z%d, Z16", 4+j, j)
		a.i("VSHUFF32X4 $0xEE, Z%d, Z%d, Z17", 4+j, j)
		a.i("VSHUFF32X4 $0x44, Z%d, Z%d, Z18", 12+j, 8+j)
		a.i("VSHUFF32X4 $0xEE, Z%d, Z%d, Z19", 12+j, 8+j)
		a.i("VSHUFF32X4 $0x88, Z18, Z16, Z20")
		a.i("VSHUFF32X4 $0xDD, Z18, Z16, Z21")
		a.i("VSHUFF32X4 $0x88, Z19, Z17, Z22")
		a.i("VSHUFF32X4 $0xDD, Z19, Z17, Z23")
		for q, z := range []int{j, 4 + j, 8 + j, 12 + j} {
			a.i(store, 20+q, z*stride)
		}
	}
	a.i("ADDQ $64, SI")
	a.i("ADDQ $%d, DI", 16*stride)
	a.i("DECQ CX")
	a.i("JNZ loop")
	a.label("done")
	a.i("VZEROUPPER")
	a.i("RET")
}

// genTransposeAVX2 emits the AVX2 versions: 8×8 tiles (8 source rows × 8
// depth steps), rows of A into 6-row panels and transposed B into
// 16-column panels, one 8-column half per call.
func genTransposeAVX2(a *asm) {
	a.raw("\n// mask6 selects the 6 floats of an A panel step for VMASKMOVPS.\n")
	for i := 0; i < 8; i++ {
		v := "0xffffffff"
		if i >= avx2Mr {
			v = "0"
		}
		a.raw(fmt.Sprintf("DATA mask6<>+%d(SB)/4, $%s\n", 4*i, v))
	}
	a.raw("GLOBL mask6<>(SB), RODATA|NOPTR, $32\n")
	genTranspose8(a, "packATAVX2", "func packATAVX2(dst, src *float32, lda, blocks int)", "lda", avx2Mr, avx2Mr*4)
	genTranspose8(a, "packBTAVX2", "func packBTAVX2(dst, src *float32, ldb, blocks int)", "ldb", 8, avx2Nr*4)
}

// genTranspose8 is genTranspose for ymm registers; rows < 8 stores through
// mask6.
func genTranspose8(a *asm, name, decl, ld string, rows, stride int) {
	a.text(name, decl, 32)
	a.i("MOVQ dst+0(FP), DI")
	a.i("MOVQ src+8(FP), SI")
	a.i("MOVQ %s+16(FP), R8", ld)
	a.i("SHLQ $2, R8")
	a.i("MOVQ blocks+24(FP), CX")
	a.i("TESTQ CX, CX")
	a.i("JZ done")
	a.label("loop")
	a.i("MOVQ SI, R10")
	for r := 0; r < 8; r++ {
		if r >= rows {
			a.i("VXORPS Y%d, Y%d, Y%d", r, r, r)
			continue
		}
		a.i("VMOVUPS (R10), Y%d", r)
		if r < rows-1 {
			a.i("ADDQ R8, R10")
		}
	}
	for i := 0; i < 4; i++ {
		a.i("VUNPCKLPS Y%d, Y%d, Y%d", 2*i+1, 2*i, 8+2*i)
		a.i("VUNPCKHPS Y%d, Y%d, Y%d", 2*i+1, 2*i, 9+2*i)
	}
	for i := 0; i < 2; i++ {
		t0, t1, t2, t3 := 8+4*i, 9+4*i, 10+4*i, 11+4*i
		a.i("VUNPCKLPD Y%d, Y%d, Y%d", t2, t0, 4*i)
		a.i("VUNPCKHPD Y%d, Y%d, Y%d", t2, t0, 4*i+1)
		a.i("VUNPCKLPD Y%d, Y%d, Y%d", t3, t1, 4*i+2)
		a.i("VUNPCKHPD Y%d, Y%d, Y%d", t3, t1, 4*i+3)
	}
	a.comment("Column j is lane 0 of Yj and Y4+j, column 4+j their lane 1.")
	for j := 0; j < 4; j++ {
		a.i("VPERM2F128 $0x20, Y%d, Y%d, Y%d", 4+j, j, 8+j)
		a.i("VPERM2F128 $0x31, Y%d, Y%d, Y%d", 4+j, j, 12+j)
	}
	if rows < 8 {
		a.i("VMOVUPS mask6<>(SB), Y0")
	}
	for col := 0; col < 8; col++ {
		if rows < 8 {
			a.i("VMASKMOVPS Y%d, Y0, %d(DI)", 8+col, col*stride)
		} else {
			a.i("VMOVUPS Y%d, %d(DI)", 8+col, col*stride)
		}
	}
	a.i("ADDQ $32, SI")
	a.i("ADDQ $%d, DI", 8*stride)
	a.i("DECQ CX")
	a.i("JNZ loop")
	a.label("done")
	a.i("VZEROUPPER")
	a.i("RET")
}
