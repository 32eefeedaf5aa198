package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// poolLayer is Caffe's 2-D Pooling on N×C×H×W. Window bounds follow
// pooling_layer.cpp exactly:
//
//   - MAX: the window is clipped to the image, cells start at -FLT_MAX and
//     only a strictly larger value replaces the current best (so the first
//     maximum wins and NaNs never do). A window holding no pixel (possible
//     with pad 0 in ceil mode) keeps -FLT_MAX and mask -1. The optional
//     second top is the argmax as a flat index h·W+w within the plane.
//   - AVE: the divisor is the window clipped to [-pad, size+pad), so padding
//     counts and overhang beyond it does not; the sum runs over the window
//     clipped to the image. A window past the input (pad 0, ceil mode) divides
//     its empty sum by its zero or negative size, as Caffe does.
//   - STOCHASTIC: Caffe's CPU forward is not implemented. At test time we
//     use the definition of Caffe's GPU test kernel, the probability-weighted
//     average Σx²/Σx over the window (no padding; Σx starts at FLT_MIN so an
//     all-zero window gives 0, not NaN). Like that kernel it assumes
//     non-negative inputs (it follows a ReLU in practice).
//
// Output sizes (ceil/floor rounding, last-window clip, global pooling) come
// from graph's Pool.Geometry.
type poolLayer struct {
	ioSizes
	method graph.PoolMethod
	geo    *graph.PoolGeom
	planes int // N·C
	par    *parallel
	// The current call, for planeRange, which is bound once so handing
	// it to the workers allocates nothing.
	x, y, mask []float32
	planeRange func(lo, hi int)
}

func (l *poolLayer) setParallel(p *parallel) { l.par = p }

// poolRange pools planes [lo, hi) of the current call.
func (l *poolLayer) poolRange(lo, hi int) {
	g := l.geo
	in, out := g.InH*g.InW, g.OutH*g.OutW
	var mask []float32
	if l.mask != nil {
		mask = l.mask[lo*out : hi*out]
	}
	poolPlanes(l.method, g, hi-lo, l.x[lo*in:hi*in], l.y[lo*out:hi*out], mask)
}

func newPooling(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Pool](n)
	if err != nil {
		return nil, err
	}
	maxTops := 1
	if op.Method == graph.PoolMax {
		maxTops = 2
	}
	if err := coreArity(n, in, out, 1, 1, 1, maxTops); err != nil {
		return nil, err
	}
	geo, err := op.Geometry(in[0])
	if err != nil {
		return nil, coreErr(n, "", "%v", err)
	}
	want := graph.Shape{in[0][0], in[0][1], geo.OutH, geo.OutW}
	for i, s := range out {
		if !s.Equal(want) {
			return nil, coreErr(n, "top", "inferred shape %v of top[%d] disagrees with the pooling geometry %v", s, i, want)
		}
	}
	l := &poolLayer{ioSizes: newIOSizes(in, out), method: op.Method, geo: geo, planes: in[0][0] * in[0][1]}
	l.planeRange = l.poolRange
	return l, nil
}

func (l *poolLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	var mask []float32
	if len(tops) > 1 {
		mask = tops[1].Data
	}
	// Planes are independent: split them across goroutines, each share
	// reading at least ~16K values.
	l.x, l.y, l.mask = bottoms[0].Data, tops[0].Data, mask
	l.par.For(l.planes, grain(l.geo.InH*l.geo.InW), l.planeRange)
	l.x, l.y, l.mask = nil, nil, nil
	return nil
}

// poolPlanes pools `planes` consecutive H×W planes of x into y (and the
// MAX argmax into mask when it is not nil).
func poolPlanes(method graph.PoolMethod, g *graph.PoolGeom, planes int, x, y, mask []float32) {
	inSz, outSz := g.InH*g.InW, g.OutH*g.OutW
	var sc maxScratch // zeroed once per call, not per plane: small planes are many
	for p := 0; p < planes; p++ {
		xp := x[p*inSz : (p+1)*inSz]
		yp := y[p*outSz : (p+1)*outSz]
		var mp []float32
		if mask != nil {
			mp = mask[p*outSz : (p+1)*outSz]
		}
		switch method {
		case graph.PoolMax:
			if mp != nil {
				maxPlane(g, xp, yp, mp)
			} else {
				maxSepPlane(g, xp, yp, &sc)
			}
		case graph.PoolAve:
			avePlane(g, xp, yp)
		default:
			stochasticTestPlane(g, xp, yp)
		}
	}
}

func maxPlane(g *graph.PoolGeom, x, y, mask []float32) {
	for ph := 0; ph < g.OutH; ph++ {
		hs := ph*g.StrideH - g.PadH
		he := min(hs+g.KernelH, g.InH)
		hs = max(hs, 0)
		for pw := 0; pw < g.OutW; pw++ {
			ws := pw*g.StrideW - g.PadW
			we := min(ws+g.KernelW, g.InW)
			ws = max(ws, 0)
			best, arg := float32(-math.MaxFloat32), -1
			for h := hs; h < he; h++ {
				row := x[h*g.InW : (h+1)*g.InW]
				for w := ws; w < we; w++ {
					if row[w] > best {
						best, arg = row[w], h*g.InW+w
					}
				}
			}
			y[ph*g.OutW+pw] = best
			if mask != nil {
				mask[ph*g.OutW+pw] = float32(arg)
			}
		}
	}
}

// maxSepPlane is maxPlane without a mask, scanned separably: each input
// row of a window from left to right, then the row results from top to
// bottom, each with Caffe's strict > from -FLT_MAX. That picks the same
// element as Caffe's one row-major scan (the first row holding the
// maximum, and its first occurrence there; NaN never wins), so every bit
// agrees. Columns outside the image read as -FLT_MAX, which can never
// replace the scan's -FLT_MAX start, exactly as if the window were
// clipped; rows outside are skipped. Both scans run eight outputs at a
// time on amd64 (hscanVec, vscanVec).
func maxSepPlane(g *graph.PoolGeom, x, y []float32, sc *maxScratch) {
	const chunk = maxChunk
	tmp, seg := &sc.tmp, &sc.seg[0]
	// Outputs per chunk, a multiple of 8: their windows must fit in seg.
	per := min(chunk, ((len(seg)-g.KernelW-2)/g.StrideW+1)&^7)
	if per < 8 { // huge windows or strides: scan each window
		for ph := 0; ph < g.OutH; ph++ {
			maxRow(g, x, y, ph, 0, g.OutW)
		}
		return
	}
	if g.KernelH == 3 && g.KernelW == 3 && (g.StrideW == 1 || g.StrideW == 2) && hasAVX2 {
		max3x3Plane(g, x, y, sc)
		return
	}
	// Small planes: scan every input row once (a window row is shared by
	// KernelH/StrideH output rows), keeping the results on the stack.
	cache := &sc.cache
	if m := (g.OutW + 7) &^ 7; g.OutW <= per && g.InH*m <= len(cache) {
		n := (m-1)*g.StrideW + g.KernelW + 2
		for r := 0; r < g.InH; r++ {
			padRow(seg[:n], x[r*g.InW:(r+1)*g.InW], -g.PadW)
			hscan(cache[r*m:(r+1)*m], seg[:n], g.KernelW, g.StrideW)
		}
		for ph := 0; ph < g.OutH; ph++ {
			hs := ph*g.StrideH - g.PadH
			h0, h1 := max(hs, 0), min(hs+g.KernelH, g.InH)
			out := y[ph*g.OutW : (ph+1)*g.OutW]
			if h0 >= h1 {
				for i := range out {
					out[i] = -math.MaxFloat32
				}
				continue
			}
			copy(out, cache[h0*m:])
			for r := h0 + 1; r < h1; r++ {
				vscan(out, cache[r*m:r*m+len(out)])
			}
		}
		return
	}
	for ph := 0; ph < g.OutH; ph++ {
		hs := ph*g.StrideH - g.PadH
		h0, h1 := max(hs, 0), min(hs+g.KernelH, g.InH)
		row := y[ph*g.OutW : (ph+1)*g.OutW]
		if h0 >= h1 {
			for i := range row {
				row[i] = -math.MaxFloat32
			}
			continue
		}
		for c0 := 0; c0 < g.OutW; c0 += per {
			out := row[c0:min(g.OutW, c0+per)]
			// The row scans run on whole blocks of 8 (m outputs, the
			// extra ones on padding) into tmp; input columns [ws, ws+n)
			// cover their windows and the vector kernels' reads past them.
			m := (len(out) + 7) &^ 7
			ws := c0*g.StrideW - g.PadW
			n := (m-1)*g.StrideW + g.KernelW + 2
			h := tmp[:m]
			for r := h0; r < h1; r++ {
				p := seg[:n]
				padRow(p, x[r*g.InW:(r+1)*g.InW], ws)
				hscan(h, p, g.KernelW, g.StrideW)
				if r == h0 {
					// The first row's scan is the column scan's first
					// step: it never falls below -FLT_MAX.
					copy(out, h)
					continue
				}
				vscan(out, h[:len(out)])
			}
		}
	}
}

// max3x3Plane is maxSepPlane for 3×3 windows with horizontal stride 1 or
// 2 (AlexNet, SqueezeNet, GoogLeNet): each output row whose window has
// all three rows inside the image takes one pool3Vec call, which runs the
// separable scans in registers. Rows are read in place when no window of
// the row reaches outside the image (pad 0, no ceil-mode overhang), else
// from -FLT_MAX padded copies. Clipped rows and leftover outputs take
// maxRow.
func max3x3Plane(g *graph.PoolGeom, x, y []float32, sc *maxScratch) {
	const chunk = maxChunk
	s := g.StrideW
	direct := g.PadW == 0 && (g.OutW-1)*s+3 <= g.InW
	for ph := 0; ph < g.OutH; ph++ {
		hs := ph*g.StrideH - g.PadH
		if hs < 0 || hs+3 > g.InH {
			maxRow(g, x, y, ph, 0, g.OutW)
			continue
		}
		out := y[ph*g.OutW : (ph+1)*g.OutW]
		c0 := 0
		if direct {
			b := hs * g.InW
			r0, r1, r2 := x[b:], x[b+g.InW:], x[b+2*g.InW:]
			// Whole blocks of 8 into tmp, the extra outputs on whatever
			// follows the row (dropped), when the plane holds their reads.
			if m := (len(out) + 7) &^ 7; m <= maxChunk && pool3Vec(sc.tmp[:m], r0, r1, r2, s) == m {
				copy(out, sc.tmp[:m])
				continue
			}
			c0 = pool3Vec(out, r0, r1, r2, s)
		}
		for ; c0 < g.OutW; c0 += chunk {
			o := out[c0:min(g.OutW, c0+chunk)]
			// Whole blocks of 8 (the extra outputs on padding) into tmp.
			m := (len(o) + 7) &^ 7
			ws := c0*s - g.PadW
			n := (m-1)*s + 3 + 2
			for k := range sc.seg {
				r := hs + k
				padRow(sc.seg[k][:n], x[r*g.InW:(r+1)*g.InW], ws)
			}
			done := pool3Vec(sc.tmp[:m], sc.seg[0][:n], sc.seg[1][:n], sc.seg[2][:n], s)
			copy(o, sc.tmp[:done])
			if done < len(o) {
				maxRow(g, x, y, ph, c0+done, c0+len(o))
			}
		}
	}
}

// maxChunk is the number of outputs a row segment serves.
const maxChunk = 128

// maxScratch holds the mask-free MAX path's row buffers, allocated once
// per call (zeroing 20 KB per plane cost more than pooling a 6×6 plane).
type maxScratch struct {
	tmp   [maxChunk]float32
	seg   [3][2*maxChunk + 16]float32 // padded input row segments
	cache [4096]float32               // row scans of a small plane
}

// padRow fills p with src[ws:ws+len(p)], -FLT_MAX where that is outside
// src.
func padRow(p, src []float32, ws int) {
	n := len(p)
	lo, hi := min(max(-ws, 0), n), min(max(len(src)-ws, 0), n)
	for i := range p[:lo] {
		p[i] = -math.MaxFloat32
	}
	if hi > lo {
		copy(p[lo:hi], src[ws+lo:])
	}
	for i := range p[hi:] {
		p[hi+i] = -math.MaxFloat32
	}
}

// vscan sets out[i] = h[i] where h[i] > out[i].
func vscan(out, h []float32) {
	done := vscanVec(out, h)
	for i, v := range h[done:] {
		if v > out[done+i] {
			out[done+i] = v
		}
	}
}

// hscan sets dst[i] to the scan of the window src[s·i … s·i+k−1].
func hscan(dst, src []float32, k, s int) {
	done := hscanVec(dst, src, k, s)
	for i := done; i < len(dst); i++ {
		best := float32(-math.MaxFloat32)
		for _, v := range src[i*s : i*s+k] {
			if v > best {
				best = v
			}
		}
		dst[i] = best
	}
}

// maxScanOK reports whether the builtin max m of a window equals the
// strict > scan from -FLT_MAX: m is finite or +Inf, not a NaN, not a zero.
func maxScanOK(m float32) bool { return m > -math.MaxFloat32 && m != 0 }

// scanMax is Caffe's scan: from -FLT_MAX, row by row, strictly greater
// values replace.
func scanMax(x []float32, w, hs, he, ws, we int) float32 {
	best := float32(-math.MaxFloat32)
	for h := hs; h < he; h++ {
		for _, v := range x[h*w+ws : h*w+we] {
			if v > best {
				best = v
			}
		}
	}
	return best
}

// maxRow is maxPlane without a mask for outputs [p0, p1) of row ph,
// windows clipped to the image.
func maxRow(g *graph.PoolGeom, x, y []float32, ph, p0, p1 int) {
	hs := ph*g.StrideH - g.PadH
	he := min(hs+g.KernelH, g.InH)
	hs = max(hs, 0)
	he = max(he, hs)
	for pw := p0; pw < p1; pw++ {
		ws := pw*g.StrideW - g.PadW
		we := min(ws+g.KernelW, g.InW)
		ws = max(ws, 0)
		we = max(we, ws)
		m := float32(-math.MaxFloat32)
		if he > hs && we > ws {
			m = x[hs*g.InW+ws]
			for h := hs; h < he; h++ {
				for _, v := range x[h*g.InW+ws : h*g.InW+we] {
					m = max(m, v)
				}
			}
		}
		if !maxScanOK(m) {
			m = scanMax(x, g.InW, hs, he, ws, we)
		}
		y[ph*g.OutW+pw] = m
	}
}

func avePlane(g *graph.PoolGeom, x, y []float32) {
	for ph := 0; ph < g.OutH; ph++ {
		hs := ph*g.StrideH - g.PadH
		he := min(hs+g.KernelH, g.InH+g.PadH)
		rows := he - hs
		hs, he = max(hs, 0), min(he, g.InH)
		for pw := 0; pw < g.OutW; pw++ {
			ws := pw*g.StrideW - g.PadW
			we := min(ws+g.KernelW, g.InW+g.PadW)
			size := rows * (we - ws)
			ws, we = max(ws, 0), min(we, g.InW)
			// float32 accumulation in Caffe's order (rows, then columns).
			var s float32
			for h := hs; h < he; h++ {
				row := x[h*g.InW : (h+1)*g.InW]
				for w := ws; w < we; w++ {
					s += row[w]
				}
			}
			y[ph*g.OutW+pw] = s / float32(size)
		}
	}
}

func stochasticTestPlane(g *graph.PoolGeom, x, y []float32) {
	for ph := 0; ph < g.OutH; ph++ {
		hs := ph * g.StrideH
		he := min(hs+g.KernelH, g.InH)
		for pw := 0; pw < g.OutW; pw++ {
			ws := pw * g.StrideW
			we := min(ws+g.KernelW, g.InW)
			sum, sumSq := float32(minNormalFloat32), float32(0)
			for h := hs; h < he; h++ {
				row := x[h*g.InW : (h+1)*g.InW]
				for w := ws; w < we; w++ {
					sum += row[w]
					sumSq += row[w] * row[w]
				}
			}
			y[ph*g.OutW+pw] = sumSq / sum
		}
	}
}

// minNormalFloat32 is C's FLT_MIN, the smallest normal float32.
const minNormalFloat32 = 0x1p-126
