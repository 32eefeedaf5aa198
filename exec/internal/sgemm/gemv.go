package sgemm

// gemv handles m == 1 or n == 1, where packing would cost as much as the
// product and most of a register tile would be padding. Each case reduces
// to dot products of contiguous rows or to sums of scaled contiguous rows
// (axpy), both streaming the matrix once.
func (pr *problem) gemv() {
	if pr.n == 1 {
		// c[i·ldc] = alpha·Σp op(A)(i,p)·op(B)(p,0) + beta·c[i·ldc]
		x, release := vector(pr.b, pr.k, pr.ldb, !pr.transB)
		defer release()
		if pr.transA {
			pr.axpyRows(pr.a, pr.lda, x, pr.m, pr.ldc)
		} else {
			pr.dotRows(pr.a, pr.lda, x, pr.m, pr.ldc)
		}
		return
	}
	// c[j] = alpha·Σp op(A)(0,p)·op(B)(p,j) + beta·c[j]
	x, release := vector(pr.a, pr.k, pr.lda, pr.transA)
	defer release()
	if pr.transB {
		pr.dotRows(pr.b, pr.ldb, x, pr.n, 1)
	} else {
		pr.axpyRows(pr.b, pr.ldb, x, pr.n, 1)
	}
}

// vector returns the k-element operand of the matrix-vector product: the
// first row of s when contiguous, else its first column (stride ld) copied.
func vector(s []float32, k, ld int, strided bool) ([]float32, func()) {
	if !strided || ld == 1 {
		return s[:k], func() {}
	}
	v := getVector(k)
	for p := range *v {
		(*v)[p] = s[p*ld]
	}
	return *v, func() { putVector(v) }
}

// dotRows sets out[i·inc] = alpha·(mat row i · x) + beta·out[i·inc] for the
// rows rows of mat (row stride ld).
func (pr *problem) dotRows(mat []float32, ld int, x []float32, rows, inc int) {
	k := len(x)
	pr.split(rows, k, 1, func(r0, r1 int) {
		if pr.isa.dot4 != nil {
			for ; r1-r0 >= 4; r0 += 4 {
				d := pr.isa.dot4(mat[r0*ld:], ld, x)
				for q, v := range d {
					s := pr.alpha * v
					o := &pr.c[(r0+q)*inc]
					if pr.beta != 0 {
						s += pr.beta * *o
					}
					*o = s
				}
			}
		}
		for i := r0; i < r1; i++ {
			s := pr.alpha * pr.isa.dot(mat[i*ld:i*ld+k], x)
			o := &pr.c[i*inc]
			if pr.beta != 0 {
				s += pr.beta * *o
			}
			*o = s
		}
	})
}

// axpyRows sets out[j·inc] = alpha·Σp x[p]·mat[p·ld+j] + beta·out[j·inc]
// for j < width, accumulating each goroutine's columns in a scratch vector.
func (pr *problem) axpyRows(mat []float32, ld int, x []float32, width, inc int) {
	pr.split(width, len(x), 16, func(j0, j1 int) {
		v := getVector(j1 - j0)
		y := *v
		for p, xp := range x {
			pr.isa.axpy(xp, mat[p*ld+j0:p*ld+j1], y)
		}
		for j, s := range y {
			o := &pr.c[(j0+j)*inc]
			s *= pr.alpha
			if pr.beta != 0 {
				s += pr.beta * *o
			}
			*o = s
		}
		putVector(v)
	})
}

// split runs f over [0, n) cut into ranges that are multiples of align
// (except the last), each index costing k multiply-adds, on as many
// goroutines as that work warrants.
func (pr *problem) split(n, k, align int, f func(lo, hi int)) {
	t := workers(n * k)
	units := ceilDiv(n, align)
	chunks := min(units, chunksPerThread*t)
	if t == 1 || chunks == 1 {
		f(0, n)
		return
	}
	parallel(t, chunks, func(next func() (int, bool)) {
		for id, ok := next(); ok; id, ok = next() {
			f(part(units, chunks, id)*align, min(n, part(units, chunks, id+1)*align))
		}
	})
}
