//go:build amd64 && !purego

#include "textflag.h"

// func dwRow3AVX2(out, r0, r1, r2, w *float32, n int)
// Four accumulators of 8 outputs each hide the FMA latency; a 3×3 filter
// row sum runs w0·r0[i] + w1·r0[i+1] + … + w8·r2[i+2] in that order.
TEXT ·dwRow3AVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), R8
	MOVQ r2+24(FP), R9
	MOVQ w+32(FP), AX
	MOVQ n+40(FP), CX
	VBROADCASTSS 0(AX), Y0
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	VBROADCASTSS 12(AX), Y3
	VBROADCASTSS 16(AX), Y4
	VBROADCASTSS 20(AX), Y5
	VBROADCASTSS 24(AX), Y6
	VBROADCASTSS 28(AX), Y7
	VBROADCASTSS 32(AX), Y8
	XORQ DX, DX

loop32:
	CMPQ CX, $32
	JLT  loop8
	VMULPS      (SI)(DX*1), Y0, Y9
	VMULPS      32(SI)(DX*1), Y0, Y10
	VMULPS      64(SI)(DX*1), Y0, Y11
	VMULPS      96(SI)(DX*1), Y0, Y12
	VFMADD231PS 4(SI)(DX*1), Y1, Y9
	VFMADD231PS 36(SI)(DX*1), Y1, Y10
	VFMADD231PS 68(SI)(DX*1), Y1, Y11
	VFMADD231PS 100(SI)(DX*1), Y1, Y12
	VFMADD231PS 8(SI)(DX*1), Y2, Y9
	VFMADD231PS 40(SI)(DX*1), Y2, Y10
	VFMADD231PS 72(SI)(DX*1), Y2, Y11
	VFMADD231PS 104(SI)(DX*1), Y2, Y12
	VFMADD231PS (R8)(DX*1), Y3, Y9
	VFMADD231PS 32(R8)(DX*1), Y3, Y10
	VFMADD231PS 64(R8)(DX*1), Y3, Y11
	VFMADD231PS 96(R8)(DX*1), Y3, Y12
	VFMADD231PS 4(R8)(DX*1), Y4, Y9
	VFMADD231PS 36(R8)(DX*1), Y4, Y10
	VFMADD231PS 68(R8)(DX*1), Y4, Y11
	VFMADD231PS 100(R8)(DX*1), Y4, Y12
	VFMADD231PS 8(R8)(DX*1), Y5, Y9
	VFMADD231PS 40(R8)(DX*1), Y5, Y10
	VFMADD231PS 72(R8)(DX*1), Y5, Y11
	VFMADD231PS 104(R8)(DX*1), Y5, Y12
	VFMADD231PS (R9)(DX*1), Y6, Y9
	VFMADD231PS 32(R9)(DX*1), Y6, Y10
	VFMADD231PS 64(R9)(DX*1), Y6, Y11
	VFMADD231PS 96(R9)(DX*1), Y6, Y12
	VFMADD231PS 4(R9)(DX*1), Y7, Y9
	VFMADD231PS 36(R9)(DX*1), Y7, Y10
	VFMADD231PS 68(R9)(DX*1), Y7, Y11
	VFMADD231PS 100(R9)(DX*1), Y7, Y12
	VFMADD231PS 8(R9)(DX*1), Y8, Y9
	VFMADD231PS 40(R9)(DX*1), Y8, Y10
	VFMADD231PS 72(R9)(DX*1), Y8, Y11
	VFMADD231PS 104(R9)(DX*1), Y8, Y12
	VMOVUPS     Y9, (DI)(DX*1)
	VMOVUPS     Y10, 32(DI)(DX*1)
	VMOVUPS     Y11, 64(DI)(DX*1)
	VMOVUPS     Y12, 96(DI)(DX*1)
	ADDQ        $128, DX
	SUBQ        $32, CX
	JMP         loop32

loop8:
	CMPQ CX, $8
	JLT  done
	VMULPS      (SI)(DX*1), Y0, Y9
	VFMADD231PS 4(SI)(DX*1), Y1, Y9
	VFMADD231PS 8(SI)(DX*1), Y2, Y9
	VFMADD231PS (R8)(DX*1), Y3, Y9
	VFMADD231PS 4(R8)(DX*1), Y4, Y9
	VFMADD231PS 8(R8)(DX*1), Y5, Y9
	VFMADD231PS (R9)(DX*1), Y6, Y9
	VFMADD231PS 4(R9)(DX*1), Y7, Y9
	VFMADD231PS 8(R9)(DX*1), Y8, Y9
	VMOVUPS     Y9, (DI)(DX*1)
	ADDQ        $32, DX
	SUBQ        $8, CX
	JMP         loop8

done:
	VZEROUPPER
	RET

// func affineAVX2(row *float32, n int, k *[5]float32, relu bool)
// One rounding per operation, as the scalar loop: no fused multiply-add.
// The ReLU keeps x where !(x <= 0) (x > 0 or NaN) and writes +0 elsewhere.
TEXT ·affineAVX2(SB), NOSPLIT, $0-25
	MOVQ    row+0(FP), DI
	MOVQ    n+8(FP), CX
	MOVQ    k+16(FP), AX
	MOVBLZX relu+24(FP), BX
	VBROADCASTSS 0(AX), Y0
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	VBROADCASTSS 12(AX), Y3
	VBROADCASTSS 16(AX), Y4
	VXORPS       Y5, Y5, Y5
	TESTQ        BX, BX
	JNZ          reluloop

plainloop:
	CMPQ    CX, $8
	JLT     adone
	VMOVUPS (DI), Y6
	VADDPS  Y0, Y6, Y6
	VSUBPS  Y1, Y6, Y6
	VMULPS  Y2, Y6, Y6
	VMULPS  Y3, Y6, Y6
	VADDPS  Y4, Y6, Y6
	VMOVUPS Y6, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     plainloop

reluloop:
	CMPQ    CX, $8
	JLT     adone
	VMOVUPS (DI), Y6
	VADDPS  Y0, Y6, Y6
	VSUBPS  Y1, Y6, Y6
	VMULPS  Y2, Y6, Y6
	VMULPS  Y3, Y6, Y6
	VADDPS  Y4, Y6, Y6
	VCMPPS  $22, Y5, Y6, Y7
	VANDPS  Y6, Y7, Y6
	VMOVUPS Y6, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     reluloop

adone:
	VZEROUPPER
	RET

// Max pooling scans. VMAXPS b, a, d sets d = a > b ? a : b, which is Caffe's
// `if (x > best) best = x` with a = x and b = best: NaN never wins and of
// equal values (+0, −0) the earlier stays. Each output lane runs its
// window's scan in row-major order, so results are bit for bit Caffe's.

// func hscan3AVX2(dst, src *float32, n, stride int, lowest float32)
// dst[i] = scan(src[s·i], src[s·i+1], src[s·i+2]) for i < n (n a multiple
// of 8, s = stride 1 or 2); with stride 2 src must hold 2n+2 values.
TEXT ·hscan3AVX2(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVQ         stride+24(FP), BX
	VBROADCASTSS lowest+32(FP), Y15
	CMPQ         BX, $1
	JNE          s2

s1:
	CMPQ    CX, $8
	JLT     hdone
	VMOVUPS (SI), Y1
	VMAXPS  Y15, Y1, Y0
	VMOVUPS 4(SI), Y1
	VMAXPS  Y0, Y1, Y0
	VMOVUPS 8(SI), Y1
	VMAXPS  Y0, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     s1

s2:
	CMPQ    CX, $8
	JLT     hdone
	// evens src[0,2,…,14], odds src[1,3,…,15], evens2 src[2,4,…,16].
	VMOVUPS   (SI), Y1
	VMOVUPS   32(SI), Y2
	VSHUFPS   $0x88, Y2, Y1, Y3
	VPERMPD   $0xD8, Y3, Y3
	VSHUFPS   $0xDD, Y2, Y1, Y4
	VPERMPD   $0xD8, Y4, Y4
	VMOVUPS   8(SI), Y1
	VMOVUPS   40(SI), Y2
	VSHUFPS   $0x88, Y2, Y1, Y5
	VPERMPD   $0xD8, Y5, Y5
	VMAXPS    Y15, Y3, Y0
	VMAXPS    Y0, Y4, Y0
	VMAXPS    Y0, Y5, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       s2

hdone:
	VZEROUPPER
	RET

// func hscan2S2AVX2(dst, src *float32, n int, lowest float32)
// dst[i] = scan(src[2i], src[2i+1]) for i < n, n a multiple of 8.
TEXT ·hscan2S2AVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS lowest+24(FP), Y15

h2loop:
	CMPQ    CX, $8
	JLT     h2done
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VSHUFPS $0x88, Y2, Y1, Y3
	VPERMPD $0xD8, Y3, Y3
	VSHUFPS $0xDD, Y2, Y1, Y4
	VPERMPD $0xD8, Y4, Y4
	VMAXPS  Y15, Y3, Y0
	VMAXPS  Y0, Y4, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     h2loop

h2done:
	VZEROUPPER
	RET

// func vscanAVX2(dst, src *float32, n int)
// dst[i] = src[i] > dst[i] ? src[i] : dst[i] for i < n, n a multiple of 8.
TEXT ·vscanAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

vloop:
	CMPQ    CX, $8
	JLT     vdone
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	VMAXPS  Y0, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     vloop

vdone:
	VZEROUPPER
	RET

// func dwRow3S2AVX2(out, r0, r1, r2, w *float32, n int)
// out[i] = Σ w[3·ky+kx]·r_ky[2i+kx] for i < n (n a multiple of 8); each
// r_ky must hold 2n+2 values. Each row's even, odd and shifted even
// columns are separated with shuffles, then summed in w's order.
TEXT ·dwRow3S2AVX2(SB), NOSPLIT, $0-48
	MOVQ         out+0(FP), DI
	MOVQ         r0+8(FP), SI
	MOVQ         r1+16(FP), R8
	MOVQ         r2+24(FP), R9
	MOVQ         w+32(FP), AX
	MOVQ         n+40(FP), CX
	VBROADCASTSS 0(AX), Y0
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	VBROADCASTSS 12(AX), Y3
	VBROADCASTSS 16(AX), Y4
	VBROADCASTSS 20(AX), Y5
	VBROADCASTSS 24(AX), Y6
	VBROADCASTSS 28(AX), Y7
	VBROADCASTSS 32(AX), Y8

s2loop:
	CMPQ CX, $8
	JLT  s2done
	// Row 0.
	VMOVUPS     (SI), Y10
	VMOVUPS     32(SI), Y11
	VSHUFPS     $0x88, Y11, Y10, Y12
	VPERMPD     $0xD8, Y12, Y12
	VSHUFPS     $0xDD, Y11, Y10, Y13
	VPERMPD     $0xD8, Y13, Y13
	VMOVUPS     8(SI), Y10
	VMOVUPS     40(SI), Y11
	VSHUFPS     $0x88, Y11, Y10, Y14
	VPERMPD     $0xD8, Y14, Y14
	VMULPS      Y12, Y0, Y9
	VFMADD231PS Y13, Y1, Y9
	VFMADD231PS Y14, Y2, Y9
	// Row 1.
	VMOVUPS     (R8), Y10
	VMOVUPS     32(R8), Y11
	VSHUFPS     $0x88, Y11, Y10, Y12
	VPERMPD     $0xD8, Y12, Y12
	VSHUFPS     $0xDD, Y11, Y10, Y13
	VPERMPD     $0xD8, Y13, Y13
	VMOVUPS     8(R8), Y10
	VMOVUPS     40(R8), Y11
	VSHUFPS     $0x88, Y11, Y10, Y14
	VPERMPD     $0xD8, Y14, Y14
	VFMADD231PS Y12, Y3, Y9
	VFMADD231PS Y13, Y4, Y9
	VFMADD231PS Y14, Y5, Y9
	// Row 2.
	VMOVUPS     (R9), Y10
	VMOVUPS     32(R9), Y11
	VSHUFPS     $0x88, Y11, Y10, Y12
	VPERMPD     $0xD8, Y12, Y12
	VSHUFPS     $0xDD, Y11, Y10, Y13
	VPERMPD     $0xD8, Y13, Y13
	VMOVUPS     8(R9), Y10
	VMOVUPS     40(R9), Y11
	VSHUFPS     $0x88, Y11, Y10, Y14
	VPERMPD     $0xD8, Y14, Y14
	VFMADD231PS Y12, Y6, Y9
	VFMADD231PS Y13, Y7, Y9
	VFMADD231PS Y14, Y8, Y9
	VMOVUPS     Y9, (DI)
	ADDQ        $64, SI
	ADDQ        $64, R8
	ADDQ        $64, R9
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         s2loop

s2done:
	VZEROUPPER
	RET

// func lrnSqAccAVX2(acc, x *float32, n int)
// acc[i] += x[i]·x[i] for i < n (n a multiple of 8), multiply then add:
// the scalar loop's two roundings.
TEXT ·lrnSqAccAVX2(SB), NOSPLIT, $0-24
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

sqloop:
	CMPQ    CX, $8
	JLT     sqdone
	VMOVUPS (SI), Y0
	VMULPS  Y0, Y0, Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     sqloop

sqdone:
	VZEROUPPER
	RET

// func lrnPow75AVX2(y, x, s *float32, n int, k, coef float32)
// y[i] = x[i] / (r·√r), r = √(k + coef·s[i]), for i < n (n a multiple of
// 8); each operation rounds once, as the scalar loop (no fused ops).
TEXT ·lrnPow75AVX2(SB), NOSPLIT, $0-40
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         s+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS k+32(FP), Y0
	VBROADCASTSS coef+36(FP), Y1

powloop:
	CMPQ    CX, $8
	JLT     powdone
	VMULPS  (DX), Y1, Y2
	VADDPS  Y0, Y2, Y2
	VSQRTPS Y2, Y3
	VSQRTPS Y3, Y4
	VMULPS  Y4, Y3, Y3
	VMOVUPS (SI), Y5
	VDIVPS  Y3, Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     powloop

powdone:
	VZEROUPPER
	RET

// func eltAxpyAVX2(acc, x *float32, n int, c float32)
// acc[i] += c·x[i] for i < n (n a multiple of 8), multiply then add: the
// scalar loop's two roundings.
TEXT ·eltAxpyAVX2(SB), NOSPLIT, $0-28
	MOVQ         acc+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS c+24(FP), Y0

axloop:
	CMPQ    CX, $16
	JLT     axone
	VMULPS  (SI), Y0, Y1
	VMULPS  32(SI), Y0, Y2
	VADDPS  (DI), Y1, Y1
	VADDPS  32(DI), Y2, Y2
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     axloop

axone:
	CMPQ    CX, $8
	JLT     axdone
	VMULPS  (SI), Y0, Y1
	VADDPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)

axdone:
	VZEROUPPER
	RET

// func pool3AVX2(dst, r0, r1, r2 *float32, n, stride int, lowest float32)
// 3×3 max pooling of one output row: dst[i] = scan of the window rows
// r_k[s·i … s·i+2], k = 0, 1, 2, for i < n (n a multiple of 8, s = stride
// 1 or 2; each r_k must hold s·n+2 values). Each row is scanned as
// hscan3AVX2 does, then the rows top to bottom as vscanAVX2 does: the
// same operations in the same order as the separable path.
TEXT ·pool3AVX2(SB), NOSPLIT, $0-52
	MOVQ         dst+0(FP), DI
	MOVQ         r0+8(FP), SI
	MOVQ         r1+16(FP), R8
	MOVQ         r2+24(FP), R9
	MOVQ         n+32(FP), CX
	MOVQ         stride+40(FP), BX
	VBROADCASTSS lowest+48(FP), Y15
	CMPQ         BX, $1
	JNE          p3s2

p3s1:
	CMPQ CX, $8
	JLT  p3done
	VMOVUPS (SI), Y1
	VMAXPS  Y15, Y1, Y0
	VMOVUPS 4(SI), Y1
	VMAXPS  Y0, Y1, Y0
	VMOVUPS 8(SI), Y1
	VMAXPS  Y0, Y1, Y0
	VMOVUPS (R8), Y1
	VMAXPS  Y15, Y1, Y6
	VMOVUPS 4(R8), Y1
	VMAXPS  Y6, Y1, Y6
	VMOVUPS 8(R8), Y1
	VMAXPS  Y6, Y1, Y6
	VMAXPS  Y0, Y6, Y0
	VMOVUPS (R9), Y1
	VMAXPS  Y15, Y1, Y6
	VMOVUPS 4(R9), Y1
	VMAXPS  Y6, Y1, Y6
	VMOVUPS 8(R9), Y1
	VMAXPS  Y6, Y1, Y6
	VMAXPS  Y0, Y6, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     p3s1

p3s2:
	CMPQ CX, $8
	JLT  p3done
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VSHUFPS $0x88, Y2, Y1, Y3
	VPERMPD $0xD8, Y3, Y3
	VSHUFPS $0xDD, Y2, Y1, Y4
	VPERMPD $0xD8, Y4, Y4
	VMOVUPS 8(SI), Y1
	VMOVUPS 40(SI), Y2
	VSHUFPS $0x88, Y2, Y1, Y5
	VPERMPD $0xD8, Y5, Y5
	VMAXPS  Y15, Y3, Y0
	VMAXPS  Y0, Y4, Y0
	VMAXPS  Y0, Y5, Y0
	VMOVUPS (R8), Y1
	VMOVUPS 32(R8), Y2
	VSHUFPS $0x88, Y2, Y1, Y3
	VPERMPD $0xD8, Y3, Y3
	VSHUFPS $0xDD, Y2, Y1, Y4
	VPERMPD $0xD8, Y4, Y4
	VMOVUPS 8(R8), Y1
	VMOVUPS 40(R8), Y2
	VSHUFPS $0x88, Y2, Y1, Y5
	VPERMPD $0xD8, Y5, Y5
	VMAXPS  Y15, Y3, Y6
	VMAXPS  Y6, Y4, Y6
	VMAXPS  Y6, Y5, Y6
	VMAXPS  Y0, Y6, Y0
	VMOVUPS (R9), Y1
	VMOVUPS 32(R9), Y2
	VSHUFPS $0x88, Y2, Y1, Y3
	VPERMPD $0xD8, Y3, Y3
	VSHUFPS $0xDD, Y2, Y1, Y4
	VPERMPD $0xD8, Y4, Y4
	VMOVUPS 8(R9), Y1
	VMOVUPS 40(R9), Y2
	VSHUFPS $0x88, Y2, Y1, Y5
	VPERMPD $0xD8, Y5, Y5
	VMAXPS  Y15, Y3, Y6
	VMAXPS  Y6, Y4, Y6
	VMAXPS  Y6, Y5, Y6
	VMAXPS  Y0, Y6, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, R9
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     p3s2

p3done:
	VZEROUPPER
	RET

// func directRow4AVX2(out *float32, plane int, taps *float32, ldt int, w *float32, k, n int)
// Four output channels of one output row of the direct convolution:
// out[q·plane + i] = Σ_t w[q·k + t]·taps[t·ldt + i] for q < 4, i < n (n a
// multiple of 8), summed in t's order with fused multiply-adds, 16 then 8
// columns at a time in registers.
TEXT ·directRow4AVX2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ plane+8(FP), DX
	SHLQ $2, DX
	MOVQ taps+16(FP), SI
	MOVQ ldt+24(FP), R8
	SHLQ $2, R8
	MOVQ w+32(FP), BX
	MOVQ k+40(FP), R13
	SHLQ $2, R13
	LEAQ (R13)(R13*2), R14
	LEAQ (DX)(DX*2), AX
	MOVQ n+48(FP), CX

dr16:
	CMPQ   CX, $16
	JLT    dr8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   SI, R10
	MOVQ   BX, R11
	MOVQ   k+40(FP), R12

dr16k:
	VMOVUPS      (R10), Y8
	VMOVUPS      32(R10), Y9
	VBROADCASTSS (R11), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (R11)(R13*1), Y10
	VFMADD231PS  Y8, Y10, Y2
	VFMADD231PS  Y9, Y10, Y3
	VBROADCASTSS (R11)(R13*2), Y10
	VFMADD231PS  Y8, Y10, Y4
	VFMADD231PS  Y9, Y10, Y5
	VBROADCASTSS (R11)(R14*1), Y10
	VFMADD231PS  Y8, Y10, Y6
	VFMADD231PS  Y9, Y10, Y7
	ADDQ         R8, R10
	ADDQ         $4, R11
	DECQ         R12
	JNZ          dr16k
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, (DI)(DX*1)
	VMOVUPS      Y3, 32(DI)(DX*1)
	VMOVUPS      Y4, (DI)(DX*2)
	VMOVUPS      Y5, 32(DI)(DX*2)
	VMOVUPS      Y6, (DI)(AX*1)
	VMOVUPS      Y7, 32(DI)(AX*1)
	ADDQ         $64, DI
	ADDQ         $64, SI
	SUBQ         $16, CX
	JMP          dr16

dr8:
	CMPQ   CX, $8
	JLT    drdone
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	MOVQ   SI, R10
	MOVQ   BX, R11
	MOVQ   k+40(FP), R12

dr8k:
	VMOVUPS      (R10), Y8
	VBROADCASTSS (R11), Y10
	VFMADD231PS  Y8, Y10, Y0
	VBROADCASTSS (R11)(R13*1), Y10
	VFMADD231PS  Y8, Y10, Y2
	VBROADCASTSS (R11)(R13*2), Y10
	VFMADD231PS  Y8, Y10, Y4
	VBROADCASTSS (R11)(R14*1), Y10
	VFMADD231PS  Y8, Y10, Y6
	ADDQ         R8, R10
	ADDQ         $4, R11
	DECQ         R12
	JNZ          dr8k
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y2, (DI)(DX*1)
	VMOVUPS      Y4, (DI)(DX*2)
	VMOVUPS      Y6, (DI)(AX*1)

drdone:
	VZEROUPPER
	RET
