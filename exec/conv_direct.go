package exec

// Direct convolution for layers with few taps per output (input channels ×
// kernel area, e.g. 27 for a 3×3 first layer on RGB) or few input channels
// (an RGB first layer of any kernel size): im2col + GEMM would write a
// column matrix as large as the output times the taps (1.4 MB for
// SqueezeNet's conv1) and read it back, then pass over the output again for
// the epilogue. Here each output row gathers its taps into a small buffer
// that stays in cache (one row of im2col, 12 KB for that conv1), computes
// every output channel of that row in registers and runs the epilogue on it
// while it is hot. Threads split the output rows.

// Which layers take the direct path, chosen by measurement (2 threads,
// per-layer times of caffetool bench, im2col+GEMM → direct): 27 taps (3×3
// on RGB) win clearly: SqueezeNet conv1 0.78 → 0.55 ms, VGG-16 conv1_1
// 2.6 → 1.5 ms, MobileNet conv1 0.61 → 0.38 ms; 7×7 on RGB (147 taps),
// GoogLeNet and ResNet-50 conv1 2.4 → 2.0 ms; 3×3 on 16 channels (144),
// SqueezeNet fire2/3 expand3x3 0.51 → 0.47 ms. With more input channels
// the gather costs more than the column matrix: 3×3 on 32 channels (288,
// fire4/5) 0.46 → 0.61 ms, 5×5 on 16 (400, GoogLeNet 3a/4a) 0.30 → 0.43 ms;
// but on RGB even 11×11 stride 4 wins (363, AlexNet conv1 2.7 → 1.9 ms).
const (
	directMaxTaps    = 160 // any input channel count
	directFewChans   = 3   // up to this many input channels ...
	directMaxTapsFew = 400 // ... this many taps
)

// directBuf is the size of the per-goroutine tap buffer (taps × output
// width rounded up to 8): 80 KB, enough for AlexNet's and GoogLeNet's conv1.
const directBuf = 20480

// useDirect switches the path on (a variable so tests can compare).
var useDirect = true

// fitsDirect reports whether g takes the direct path. A 1×1 kernel (strided
// or padded) keeps im2col, a plain copy of its few input planes.
func fitsDirect(g *convGeom) bool {
	return useDirect && !g.nd && g.group == 1 && g.kernel[0]*g.kernel[1] > 1 &&
		g.dilation[0] == 1 && g.dilation[1] == 1 &&
		(g.kernelDim <= directMaxTaps || g.imC <= directFewChans && g.kernelDim <= directMaxTapsFew) &&
		g.kernelDim*directLd(g.colSpatial[1]) <= directBuf
}

// directRows computes output rows [lo, hi) of the current sample for every
// output channel, then the epilogue on each of those rows.
func (l *convLayer) directRows(lo, hi int) {
	g := l.g
	ow := g.colSpatial[1]
	h, w := g.imSpatial[0], g.imSpatial[1]
	kh, kw := g.kernel[0], g.kernel[1]
	sh, sw, ph, pw := g.stride[0], g.stride[1], g.pad[0], g.pad[1]
	k, np, co := g.kernelDim, g.colSpatSz, g.colC
	ld := directLd(ow)
	var buf [directBuf]float32
	taps := buf[:k*ld]
	for oy := lo; oy < hi; oy++ {
		// Gather: taps row t = (c, ky, kx) holds the input pixel each
		// output column of this row multiplies by weight t (0 outside).
		t := 0
		for c := 0; c < g.imC; c++ {
			plane := l.x[c*h*w : (c+1)*h*w]
			for ky := 0; ky < kh; ky++ {
				iy := oy*sh - ph + ky
				for kx := 0; kx < kw; kx++ {
					dst := taps[t*ld : (t+1)*ld]
					t++
					if iy < 0 || iy >= h {
						clear(dst)
						continue
					}
					gatherRow(dst, plane[iy*w:(iy+1)*w], kx-pw, sw)
				}
			}
		}
		row0 := oy * ow
		q := 0
		for ; q+4 <= co; q += 4 {
			wq := l.weight[q*k:]
			done := directRow4Vec(l.y[q*np+row0:], np, taps, ld, wq, k, ow)
			if done > 0 && done < ow {
				// The last, partial 8 columns through the kernel too (the
				// padded tap rows hold them), into a scratch block.
				var tmp [32]float32
				directRow4Vec(tmp[:], 8, taps[done:], ld, wq, k, 8)
				for j := range 4 {
					copy(l.y[(q+j)*np+row0+done:(q+j)*np+row0+ow], tmp[j*8:])
				}
				done = ow
			}
			for j := q; j < q+4; j++ {
				directScalar(l.y[j*np+row0+done:j*np+row0+ow], taps[done:], ld, l.weight[j*k:(j+1)*k])
			}
		}
		for ; q < co; q++ {
			directScalar(l.y[q*np+row0:q*np+row0+ow], taps, ld, l.weight[q*k:(q+1)*k])
		}
		if len(l.epi) > 0 {
			for c := 0; c < co; c++ {
				l.passes.apply(c, l.y[c*np+row0:c*np+row0+ow])
			}
		}
	}
}

// directLd is the tap row length for output width ow: a multiple of 8, so
// the vector kernel can run on the last, partial 8 columns.
func directLd(ow int) int { return (ow + 7) &^ 7 }

// directScalar sets out[i] = Σ_t wt[t]·taps[t·ldt + i] in t's order: the
// columns the vector kernel leaves (and every column without it). It rounds
// each product before the add where the kernel fuses them, so a column's
// bits depend on its position in the row, never on the thread count or
// on the epilogue.
func directScalar(out, taps []float32, ldt int, wt []float32) {
	for i := range out {
		var s float32
		for t, v := range wt {
			s += float32(v * taps[t*ldt+i])
		}
		out[i] = s
	}
}

// forwardDirect convolves one sample (l.x → l.y) on the direct path.
func (l *convLayer) forwardDirect() {
	oh := l.g.colSpatial[0]
	perRow := l.g.colC * l.g.colSpatial[1] * l.g.kernelDim
	l.par.For(oh, grain(perRow), l.directRange)
}

// gatherRow sets dst[ox] = src[ix0 + ox·s], 0 where that is outside src:
// the zero borders first, then the inside without a test per value.
func gatherRow(dst, src []float32, ix0, s int) {
	lo := 0 // first ox with ix ≥ 0
	if ix0 < 0 {
		lo = min((-ix0+s-1)/s, len(dst))
	}
	hi := 0 // one past the last ox with ix < len(src)
	if ix0 < len(src) {
		hi = min((len(src)-1-ix0)/s+1, len(dst))
	}
	hi = max(hi, lo)
	clear(dst[:lo])
	clear(dst[hi:])
	if hi == lo { // the whole row reads outside src (e.g. kernel wider than the padded input)
		return
	}
	if s == 1 {
		copy(dst[lo:hi], src[ix0+lo:])
		return
	}
	ix := ix0 + lo*s
	for ox := lo; ox < hi; ox++ {
		dst[ox] = src[ix]
		ix += s
	}
}
