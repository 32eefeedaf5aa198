package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// epiKind is one per-channel element-wise operation a convolution applies
// to its output while it is still in cache: its own bias, then the layers
// the runtime fused into it (see fuseInto).
type epiKind uint8

const (
	epiAdd       epiKind = iota // v + b[c]: the conv bias, a Bias layer
	epiBN                       // (v − a[c])·b[c]: BatchNorm with global stats
	epiMul                      // v·a[c]: Scale without bias
	epiMulAdd                   // float32(v·a[c]) + b[c]: Scale with bias
	epiReLU                     // max(v, 0), NaN kept
	epiLeakyReLU                // v > 0 ? v : slope·v
	epiReLU6                    // min(max(v, 0), 6)
)

// epiStep is one operation with its per-channel operands.
type epiStep struct {
	kind  epiKind
	a, b  []float32
	slope float32
}

// epilogue is a convolution's output pass, applied in order. Every step
// computes exactly what the layer it replaces computes (same float32
// operations in the same order), so fusing does not change any bit.
type epilogue []epiStep

// apply runs the steps on row, which holds values of output channel c.
// The usual runs of steps (BatchNorm then Scale, an affine step then a
// ReLU) go through the row once (applyPair); each value still sees the
// same operations in the same order.
func (e epilogue) apply(c int, row []float32) {
	for k := 0; k < len(e); k++ {
		if k+2 < len(e) && e[k].kind == epiBN && e[k+1].kind == epiMulAdd && e[k+2].kind == epiReLU {
			// conv → BatchNorm → Scale → ReLU, the ResNet and MobileNet unit.
			m, f, s, t := e[k].a[c], e[k].b[c], e[k+1].a[c], e[k+1].b[c]
			for i, v := range row {
				v = float32(((v-m)*f)*s) + t
				if !(v > 0 || v != v) {
					v = 0
				}
				row[i] = v
			}
			k += 2
			continue
		}
		if k+1 < len(e) && applyPair(e[k], e[k+1], c, row) {
			k++
			continue
		}
		s := e[k]
		switch s.kind {
		case epiAdd:
			b := s.b[c]
			for i, v := range row {
				row[i] = v + b
			}
		case epiBN:
			m, k := s.a[c], s.b[c]
			for i, v := range row {
				row[i] = (v - m) * k
			}
		case epiMul:
			a := s.a[c]
			for i, v := range row {
				row[i] = v * a
			}
		case epiMulAdd:
			a, b := s.a[c], s.b[c]
			for i, v := range row {
				row[i] = float32(v*a) + b
			}
		case epiReLU:
			for i, v := range row {
				if !(v > 0 || v != v) {
					row[i] = 0
				}
			}
		case epiLeakyReLU:
			for i, v := range row {
				if !(v > 0) {
					row[i] = s.slope * v
				}
			}
		case epiReLU6:
			for i, v := range row {
				row[i] = min(max(v, 0), 6)
			}
		}
	}
}

// applyPair runs steps a then b in one pass over row when it has a loop
// for that pair, and reports whether it did.
func applyPair(a, b epiStep, c int, row []float32) bool {
	switch {
	case a.kind == epiBN && b.kind == epiMulAdd:
		m, k, s, t := a.a[c], a.b[c], b.a[c], b.b[c]
		for i, v := range row {
			row[i] = float32(((v-m)*k)*s) + t
		}
	case a.kind == epiAdd && b.kind == epiReLU:
		t := a.b[c]
		for i, v := range row {
			v += t
			if !(v > 0 || v != v) {
				v = 0
			}
			row[i] = v
		}
	case a.kind == epiMulAdd && b.kind == epiReLU:
		s, t := a.a[c], a.b[c]
		for i, v := range row {
			v = float32(v*s) + t
			if !(v > 0 || v != v) {
				v = 0
			}
			row[i] = v
		}
	default:
		return false
	}
	return true
}

// fusibleStep returns the epilogue step that computes node n (already
// built as layer l) on a convolution output of shape out: outer samples ×
// channels × plane values. It reports false for anything that is not a
// per-channel element-wise layer on exactly that layout.
func fusibleStep(n *graph.Node, l Layer, out graph.Shape, outer, channels, plane int) (epiStep, bool) {
	if len(n.Bottoms) != 1 || len(n.Tops) != 1 || !n.Tops[0].Shape.Equal(out) {
		return epiStep{}, false
	}
	switch op := n.Op.(type) {
	case *graph.ReLU:
		if _, ok := l.(*unaryLayer); !ok {
			return epiStep{}, false
		}
		if op.NegativeSlope == 0 {
			return epiStep{kind: epiReLU}, true
		}
		return epiStep{kind: epiLeakyReLU, slope: op.NegativeSlope}, true
	case *graph.ReLU6:
		if _, ok := l.(*unaryLayer); !ok {
			return epiStep{}, false
		}
		return epiStep{kind: epiReLU6}, true
	}
	switch l := l.(type) {
	case *batchNormLayer:
		if l.global && l.num == outer && l.channels == channels && l.spatial == plane {
			return epiStep{kind: epiBN, a: l.mean, b: l.inv}, true
		}
	case *scaleBiasLayer:
		if l.scaleIn || l.biasIn || l.bc != (broadcast{outer: outer, dim: channels, inner: plane}) {
			return epiStep{}, false
		}
		switch {
		case l.scale != nil && l.bias != nil:
			return epiStep{kind: epiMulAdd, a: l.scale, b: l.bias}, true
		case l.scale != nil:
			return epiStep{kind: epiMul, a: l.scale}, true
		case l.bias != nil:
			return epiStep{kind: epiAdd, b: l.bias}, true
		}
	}
	return epiStep{}, false
}

// epiPasses is an epilogue compiled for speed: runs of steps that fit the
// affine form (((v + a) − m)·f)·s + t, then an optional ReLU, become one
// pass over the row (vectorised on amd64); the other steps (leaky ReLU,
// ReLU6) keep their own loop. Unused parts of the form take values that
// change no bit (a = t = −0, m = +0, f = s = 1), so a pass computes what
// the steps it replaces compute.
type epiPasses []epiPass

type epiPass struct {
	k    [][5]float32 // per channel: a, m, f, s, t (affine passes)
	relu bool
	step *epiStep // a step outside the affine form
}

// Slots of the affine form, in order of application.
const (
	slotA = iota
	slotBN
	slotS
	slotT
	slotReLU
	slotEnd
)

// compile packs the steps of e, in order, into passes for a layer with
// the given number of output channels.
func (e epilogue) compile(channels int) epiPasses {
	var out epiPasses
	var cur *epiPass
	next := slotEnd // first free slot of cur
	identity := [5]float32{negZero, 0, 1, 1, negZero}
	start := func() {
		out = append(out, epiPass{k: make([][5]float32, channels)})
		cur = &out[len(out)-1]
		for c := range cur.k {
			cur.k[c] = identity
		}
		next = slotA
	}
	for i := range e {
		s := &e[i]
		slot := slotEnd
		switch s.kind {
		case epiAdd:
			slot = slotA
			if next > slotA {
				slot = slotT
			}
		case epiBN:
			slot = slotBN
		case epiMul, epiMulAdd:
			slot = slotS
		case epiReLU:
			slot = slotReLU
		default:
			out = append(out, epiPass{step: s})
			cur, next = nil, slotEnd
			continue
		}
		if cur == nil || slot < next || (s.kind == epiMulAdd && next > slotS) {
			start()
			if s.kind == epiAdd {
				slot = slotA
			}
		}
		for c := range cur.k {
			switch s.kind {
			case epiAdd:
				if slot == slotA {
					cur.k[c][0] = s.b[c]
				} else {
					cur.k[c][4] = s.b[c]
				}
			case epiBN:
				cur.k[c][1], cur.k[c][2] = s.a[c], s.b[c]
			case epiMul:
				cur.k[c][3] = s.a[c]
			case epiMulAdd:
				cur.k[c][3], cur.k[c][4] = s.a[c], s.b[c]
			}
		}
		switch s.kind {
		case epiReLU:
			cur.relu = true
			next = slotEnd
		case epiMulAdd:
			next = slotReLU
		default:
			next = slot + 1
		}
	}
	return out
}

// negZero is −0, the additive identity that keeps the sign of a zero.
var negZero = float32(math.Copysign(0, -1))

// apply runs the passes on row, which holds values of output channel c.
func (p epiPasses) apply(c int, row []float32) {
	for i := range p {
		pass := &p[i]
		if pass.step != nil {
			epilogue{*pass.step}.apply(c, row)
			continue
		}
		k := &pass.k[c]
		done := affineVec(row, k, pass.relu)
		affineRow(row[done:], k, pass.relu)
	}
}

// affineRow is the scalar form of a pass: one rounding per operation (the
// conversions keep a compiler from fusing a multiply and an add).
func affineRow(row []float32, k *[5]float32, relu bool) {
	a, m, f, s, t := k[0], k[1], k[2], k[3], k[4]
	for i, v := range row {
		v = float32(float32(float32((v+a)-m)*f)*s) + t
		if relu && !(v > 0 || v != v) {
			v = 0
		}
		row[i] = v
	}
}
