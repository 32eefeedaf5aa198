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
	return &poolLayer{ioSizes: newIOSizes(in, out), method: op.Method, geo: geo, planes: in[0][0] * in[0][1]}, nil
}

func (l *poolLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	var mask []float32
	if len(tops) > 1 {
		mask = tops[1].Data
	}
	poolPlanes(l.method, l.geo, l.planes, bottoms[0].Data, tops[0].Data, mask)
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
			maxPlane(g, xp, yp, mp)
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
