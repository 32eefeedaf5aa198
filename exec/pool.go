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
	for p := 0; p < planes; p++ {
		xp := x[p*inSz : (p+1)*inSz]
		yp := y[p*outSz : (p+1)*outSz]
		var mp []float32
		if mask != nil {
			mp = mask[p*outSz : (p+1)*outSz]
		}
		switch method {
		case graph.PoolMax:
			switch {
			case mp != nil:
				maxPlane(g, xp, yp, mp)
			case g.KernelH == 3 && g.KernelW == 3:
				max3x3Plane(g, xp, yp)
			default:
				for ph := 0; ph < g.OutH; ph++ {
					maxRow(g, xp, yp, ph, 0, g.OutW)
				}
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

// max3x3Plane is maxPlane for the common 3×3 window without a mask. The
// outputs whose window lies inside the image take the builtin max of
// their nine inputs (in any grouping: it is branch-free code), which
// agrees with the strict > scan bit for bit unless the window holds a NaN
// (the scan skips it), its maximum is a zero (the scan keeps the first of
// -0 and +0) or -Inf (the scan starts from -FLT_MAX); those windows are
// scanned (see maxScanOK).
func max3x3Plane(g *graph.PoolGeom, x, y []float32) {
	// Output columns whose window is inside: 0 ≤ pw·s − pad and
	// pw·s − pad + 3 ≤ InW.
	lo, hi := outRange(-g.PadW, g.StrideW, g.InW-2, g.OutW)
	hi = max(hi, lo)
	for ph := 0; ph < g.OutH; ph++ {
		if hs := ph*g.StrideH - g.PadH; hs < 0 || hs+3 > g.InH {
			maxRow(g, x, y, ph, lo, hi)
		}
		maxRow(g, x, y, ph, 0, lo)
		maxRow(g, x, y, ph, hi, g.OutW)
	}
	// Interior windows, separably: the maxima of each input row's column
	// triples are kept for the next output rows (stride 1 reuses two of
	// three rows), in chunks of columns that fit on the stack.
	const chunk = 128
	var rows [3][chunk]float32
	var rowOf [3]int
	for c0 := lo; c0 < hi; c0 += chunk {
		c1 := min(c0+chunk, hi)
		rowOf = [3]int{-1, -1, -1}
		for ph := 0; ph < g.OutH; ph++ {
			hs := ph*g.StrideH - g.PadH
			if hs < 0 || hs+3 > g.InH {
				continue
			}
			var hm [3]*[chunk]float32
			for k := 0; k < 3; k++ {
				r := hs + k
				slot := r % 3 // rows hs..hs+2 land in distinct slots
				if rowOf[slot] != r {
					src := x[r*g.InW : (r+1)*g.InW]
					dst := &rows[slot]
					for pw := c0; pw < c1; pw++ {
						ws := pw*g.StrideW - g.PadW
						t := src[ws : ws+3]
						dst[pw-c0] = max(t[0], t[1], t[2])
					}
					rowOf[slot] = r
				}
				hm[k] = &rows[slot]
			}
			out := y[ph*g.OutW+c0 : ph*g.OutW+c1]
			for i := range out {
				m := max(hm[0][i], hm[1][i], hm[2][i])
				if !maxScanOK(m) {
					ws := (c0+i)*g.StrideW - g.PadW
					m = scanMax(x, g.InW, hs, hs+3, ws, ws+3)
				}
				out[i] = m
			}
		}
	}
}

// maxScanOK reports whether the builtin max m of a window equals the
// strict > scan from -FLT_MAX: m is finite or +Inf, not a NaN, not a zero.
func maxScanOK(m float32) bool { return m > -math.MaxFloat32 && m != 0 }

// scanMax is Caffe's scan: from -FLT_MAX, rows then columns, strictly
// greater values replace.
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
