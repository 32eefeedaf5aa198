package sgemm

// packA copies rows [i0, i0+mc) and depth [p0, p0+kc) of op(A) into Mr-row
// panels: panel q stores element (r, p) at q·Mr·kc + p·Mr + r, and rows past
// mc are zero so the kernel can always run a full tile.
func (pr *problem) packA(dst []float32, i0, mc, p0, kc int) {
	mR := pr.isa.blk.Mr
	for q := 0; q*mR < mc; q++ {
		mr := min(mR, mc-q*mR)
		d := dst[q*mR*kc : (q+1)*mR*kc]
		i := i0 + q*mR
		if pr.transA {
			// A is stored k×m: each depth step is a contiguous run of rows.
			for p := 0; p < kc; p++ {
				o := (p0+p)*pr.lda + i
				copy(d[p*mR:p*mR+mr], pr.a[o:o+mr])
				clear(d[p*mR+mr : p*mR+mR])
			}
			continue
		}
		done := 0
		if mr == mR && pr.isa.packAT != nil {
			done = pr.isa.packAT(d, pr.a[i*pr.lda+p0:], pr.lda, kc)
		}
		for r := 0; r < mr; r++ {
			o := (i+r)*pr.lda + p0
			for p, v := range pr.a[o+done : o+kc] {
				d[(done+p)*mR+r] = v
			}
		}
		if mr < mR {
			for p := 0; p < kc; p++ {
				clear(d[p*mR+mr : p*mR+mR])
			}
		}
	}
}

// packB copies depth [p0, p0+kc) and columns [j0, j0+nc) of op(B) into
// Nr-column panels: panel q stores element (p, c) at q·Nr·kc + p·Nr + c,
// with columns past nc zero.
func (pr *problem) packB(dst []float32, j0, nc, p0, kc int) {
	nR := pr.isa.blk.Nr
	for q := 0; q*nR < nc; q++ {
		nr := min(nR, nc-q*nR)
		d := dst[q*nR*kc : (q+1)*nR*kc]
		j := j0 + q*nR
		if !pr.transB {
			pr.isa.packB(d, pr.b[p0*pr.ldb+j:], pr.ldb, kc, nr)
			continue
		}
		// B is stored n×k: gather each column's contiguous depth run.
		done := 0
		if nr == nR && pr.isa.packBT != nil {
			done = pr.isa.packBT(d, pr.b[j*pr.ldb+p0:], pr.ldb, kc)
		}
		for c := 0; c < nr; c++ {
			o := (j+c)*pr.ldb + p0
			for p, v := range pr.b[o+done : o+kc] {
				d[(done+p)*nR+c] = v
			}
		}
		if nr < nR {
			for p := 0; p < kc; p++ {
				clear(d[p*nR+nr : p*nR+nR])
			}
		}
	}
}
