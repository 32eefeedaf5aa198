package sgemm

// run computes the block of C with rows [i0, i1) and columns [j0, j1) on the
// calling goroutine with the Goto/BLIS loop nest:
//
//	jc: Nc columns of B   ─ the Kc×Nc block of B stays in L2
//	 pc: Kc depth         ─ pack B (unless read in place); beta on pc == 0 only
//	  ic: Mc rows of A    ─ pack an Mc×Kc block of A
//	   ir: Mr rows        ─ one A micro-panel (Mr×Kc), held in L1
//	    jr: Nr columns    ─ micro-kernel on a B micro-panel streamed from L2
func (pr *problem) run(w *workspace, i0, i1, j0, j1 int) {
	blk := pr.isa.blk
	kc := evenSplit(pr.k, blk.Kc)
	for jc := j0; jc < j1; jc += blk.Nc {
		nc := min(blk.Nc, j1-jc)
		for pc := 0; pc < pr.k; pc += kc {
			kcur := min(kc, pr.k-pc)
			beta := float32(1) // later depth blocks accumulate onto C
			if pc == 0 {
				beta = pr.beta
			}
			if !pr.directB() {
				pr.packB(w.b, jc, nc, pc, kcur)
			}
			for ic := i0; ic < i1; ic += blk.Mc {
				mc := min(blk.Mc, i1-ic)
				pr.packA(w.a, ic, mc, pc, kcur)
				pr.macro(w, ic, mc, jc, nc, pc, kcur, beta)
			}
		}
	}
}

// macro runs the micro-kernel over one packed Mc×Kc block of A and the
// Kc×Nc block of B at depth pc, updating C[ic:ic+mc, jc:jc+nc].
func (pr *problem) macro(w *workspace, ic, mc, jc, nc, pc, kc int, beta float32) {
	mR, nR := pr.isa.blk.Mr, pr.isa.blk.Nr
	kernel := pr.isa.kernel
	// B panel jr starts at b[bOff + jr·bStep] with rows ldb apart, either
	// in the packed block or in B itself.
	b, ldb, bStep, bOff := w.b, nR, kc, 0
	if pr.directB() {
		b, ldb, bStep, bOff = pr.b, pr.ldb, 1, pc*pr.ldb+jc
	}
	for ir := 0; ir < mc; ir += mR {
		mr := min(mR, mc-ir)
		ap := w.a[ir*kc : (ir+mR)*kc]
		row := (ic+ir)*pr.ldc + jc
		for jr := 0; jr < nc; jr += nR {
			nr := min(nR, nc-jr)
			kernel(kc, ap, b[bOff+jr*bStep:], ldb, pr.c[row+jr:], pr.ldc, pr.alpha, beta, mr, nr)
		}
	}
}

// directB reports whether the kernel reads B in place instead of from a
// packed copy. That needs row-major (not transposed) B and a kernel that
// masks its B loads at the right edge; it saves writing and re-reading the
// copy, and the kernel's prefetch hides the first, strided pass over B.
func (pr *problem) directB() bool {
	return pr.isa.directB && !pr.transB
}

// evenSplit returns the block size that covers total in as few blocks of at
// most limit as possible, with the blocks as equal as possible (576 with
// limit 256 gives 192, not 256+256+64).
func evenSplit(total, limit int) int {
	blocks := (total + limit - 1) / limit
	return (total + blocks - 1) / blocks
}
