package exec

// dwGeom is a 2-D depthwise convolution: group == input channels, so each
// output channel o reads only input channel o / mult (mult = outputs per
// input channel, 1 in MobileNets) through its own KH×KW filter. im2col
// plus a 1-row GEMM per channel would spend far more time copying than
// multiplying; the direct loops below read the input in place.
type dwGeom struct {
	h, w, oh, ow   int
	kh, kw         int
	sh, sw, ph, pw int
	dh, dw         int
	mult           int
	// fast3 selects the register kernel for 3×3, dilation 1, stride 1 or 2.
	fast3 bool
}

func newDWGeom(g *convGeom) *dwGeom {
	d := &dwGeom{
		h: g.imSpatial[0], w: g.imSpatial[1], oh: g.colSpatial[0], ow: g.colSpatial[1],
		kh: g.kernel[0], kw: g.kernel[1], sh: g.stride[0], sw: g.stride[1], ph: g.pad[0], pw: g.pad[1],
		dh: g.dilation[0], dw: g.dilation[1], mult: g.colC / g.imC,
	}
	d.fast3 = d.kh == 3 && d.kw == 3 && d.dh == 1 && d.dw == 1 && d.sh == d.sw && (d.sh == 1 || d.sh == 2)
	return d
}

// dwChannels computes output channels [lo, hi) of the current sample and
// runs the epilogue on each plane while it is in cache.
func (l *convLayer) dwChannels(lo, hi int) {
	d := l.dw
	in, out, kk := d.h*d.w, d.oh*d.ow, d.kh*d.kw
	var sc dwScratch // zeroed once per share, not per plane: 7×7 planes are many
	for o := lo; o < hi; o++ {
		ic := o / d.mult
		y := l.y[o*out : (o+1)*out]
		d.plane(l.x[ic*in:(ic+1)*in], l.weight[o*kk:(o+1)*kk], y, &sc)
		if len(l.epi) > 0 {
			l.passes.apply(o, y)
		}
	}
}

// dwPadded is the size of the stack buffer planePadded copies a
// zero-padded input plane into (16 KiB: planes up to about 60×60).
const dwPadded = 4096

// dwScratch is planePadded's buffers: the padded plane and one output row.
type dwScratch struct {
	buf [dwPadded]float32
	tmp [dwPadded / 4]float32
}

// plane convolves one input plane x with filter w into y.
func (d *dwGeom) plane(x, w, y []float32, sc *dwScratch) {
	if d.planePadded(x, w, y, sc) {
		return
	}
	for oy := 0; oy < d.oh; oy++ {
		row := y[oy*d.ow : (oy+1)*d.ow]
		iy := oy*d.sh - d.ph
		if d.fast3 && iy >= 0 && iy+2 < d.h {
			d.row3(x, w, row, iy)
			continue
		}
		d.rowGeneric(x, w, row, iy)
	}
}

// rowGeneric computes one output row for any kernel: clear it, then for
// each kernel tap whose input row exists, add the tap times the input
// pixels it sees (the output columns whose input column is inside).
func (d *dwGeom) rowGeneric(x, w, row []float32, iy0 int) {
	clear(row)
	for ky := 0; ky < d.kh; ky++ {
		iy := iy0 + ky*d.dh
		if iy < 0 || iy >= d.h {
			continue
		}
		src := x[iy*d.w : (iy+1)*d.w]
		for kx := 0; kx < d.kw; kx++ {
			wv := w[ky*d.kw+kx]
			c0 := kx*d.dw - d.pw
			lo, hi := outRange(c0, d.sw, d.w, d.ow)
			if lo >= hi {
				continue
			}
			if d.sw == 1 {
				in := src[c0+lo : c0+hi]
				out := row[lo:hi]
				for i, v := range in {
					out[i] += wv * v
				}
				continue
			}
			for ox, ix := lo, c0+lo*d.sw; ox < hi; ox, ix = ox+1, ix+d.sw {
				row[ox] += wv * src[ix]
			}
		}
	}
}

// row3 computes one output row of a 3×3, dilation-1 filter whose three
// input rows starting at iy all exist: the nine products of each interior
// output are summed in registers; the one or two border outputs, whose
// window leaves the image, take the generic per-pixel route.
func (d *dwGeom) row3(x, w, row []float32, iy int) {
	r0 := x[iy*d.w : (iy+1)*d.w]
	r1 := x[(iy+1)*d.w : (iy+2)*d.w]
	r2 := x[(iy+2)*d.w : (iy+3)*d.w]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	// Interior: ix = ox·s − pw with 0 ≤ ix and ix+2 < W.
	lo, hi := outRange(-d.pw, d.sw, d.w-2, d.ow)
	for ox := 0; ox < lo; ox++ {
		row[ox] = d.pixel3(r0, r1, r2, w, ox)
	}
	if d.sw == 1 {
		if hi > lo {
			// Vector kernel first (amd64), then the rest one by one.
			ix := lo - d.pw
			done := dwRow3Vec(row[lo:hi], r0[ix:], r1[ix:], r2[ix:], w)
			lo, ix = lo+done, ix+done
			n := hi - lo
			a0, a1, a2 := r0[ix:ix+n], r0[ix+1:ix+1+n], r0[ix+2:ix+2+n]
			b0, b1, b2 := r1[ix:ix+n], r1[ix+1:ix+1+n], r1[ix+2:ix+2+n]
			c0, c1, c2 := r2[ix:ix+n], r2[ix+1:ix+1+n], r2[ix+2:ix+2+n]
			out := row[lo:hi]
			for i := range out {
				out[i] = a0[i]*w0 + a1[i]*w1 + a2[i]*w2 +
					b0[i]*w3 + b1[i]*w4 + b2[i]*w5 +
					c0[i]*w6 + c1[i]*w7 + c2[i]*w8
			}
		}
	} else {
		if hi > lo {
			// Vector kernel on the windows whose 2n+2 reads stay in the row.
			ix := lo*d.sw - d.pw
			n := min(hi-lo, (d.w-ix-2)/2)
			if n > 0 {
				lo += dwRow3S2Vec(row[lo:lo+n], r0[ix:], r1[ix:], r2[ix:], w)
			}
		}
		for ox := lo; ox < hi; ox++ {
			ix := ox*d.sw - d.pw
			a, b, c := r0[ix:ix+3], r1[ix:ix+3], r2[ix:ix+3]
			row[ox] = a[0]*w0 + a[1]*w1 + a[2]*w2 +
				b[0]*w3 + b[1]*w4 + b[2]*w5 +
				c[0]*w6 + c[1]*w7 + c[2]*w8
		}
	}
	for ox := max(hi, lo); ox < d.ow; ox++ {
		row[ox] = d.pixel3(r0, r1, r2, w, ox)
	}
}

// pixel3 is one output of row3 whose window may leave the image sideways.
func (d *dwGeom) pixel3(r0, r1, r2, w []float32, ox int) float32 {
	var s float32
	ix := ox*d.sw - d.pw
	for kx := 0; kx < 3; kx++ {
		if c := ix + kx; c >= 0 && c < d.w {
			s += r0[c]*w[kx] + r1[c]*w[3+kx] + r2[c]*w[6+kx]
		}
	}
	return s
}

// outRange is the output index range [lo, hi) within [0, n) whose input
// index start + x·stride lies in [0, size).
func outRange(start, stride, size, n int) (lo, hi int) {
	if size <= 0 {
		return 0, 0
	}
	if start < 0 {
		lo = (-start + stride - 1) / stride
	}
	hi = n
	if last := start + (n-1)*stride; last >= size {
		if size-1-start < 0 {
			hi = 0
		} else {
			hi = (size-1-start)/stride + 1
		}
	}
	lo = min(lo, n)
	hi = max(hi, lo)
	return lo, hi
}

// planePadded is plane for small 3×3 planes on amd64: the plane is copied
// with its zero padding into sc.buf, so that every output row,
// borders included, is one call of the vector kernel (rounded up to a
// multiple of 8 outputs, the extra ones computed on padding and dropped).
// It reports false when it does not apply.
func (d *dwGeom) planePadded(x, w, y []float32, sc *dwScratch) bool {
	if !hasAVX2 || !d.fast3 {
		return false
	}
	m := (d.ow + 7) &^ 7
	stride := (m-1)*d.sw + 4 // padded row: every column the kernels read
	rows := (d.oh-1)*d.sh + 3
	if stride*rows > dwPadded || stride < d.pw+d.w {
		return false
	}
	p := sc.buf[:stride*rows]
	clear(p)
	for iy := 0; iy < d.h; iy++ {
		if r := iy + d.ph; r < rows {
			copy(p[r*stride+d.pw:], x[iy*d.w:(iy+1)*d.w])
		}
	}
	out := sc.tmp[:m]
	for oy := 0; oy < d.oh; oy++ {
		r0 := p[oy*d.sh*stride:]
		r1, r2 := r0[stride:], r0[2*stride:]
		var done int
		if d.sw == 1 {
			done = dwRow3Vec(out, r0, r1, r2, w)
		} else {
			done = dwRow3S2Vec(out, r0, r1, r2, w)
		}
		if done != m {
			return false // cannot happen with AVX2; keeps the contract
		}
		copy(y[oy*d.ow:(oy+1)*d.ow], out)
	}
	return true
}
