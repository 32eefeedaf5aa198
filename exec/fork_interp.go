package exec

import "github.com/caffetool/caffetool/graph"

// interpLayer is the bilinear Interp layer of the DeepLab/PSPNet forks
// (interp_layer.cpp + caffe_cpu_interp2 in util/interp.cpp). The output
// size comes from shape inference. pad_beg/pad_end (both <= 0) crop the
// input first: the effective input is rows and columns
// [-pad_beg, size + pad_end). Sampling is align-corners style: output row
// h2 reads input row h2·(H1-1)/(H2-1), computed in float32 as the fork does.
type interpLayer struct {
	io       opIO
	planes   int
	hIn, wIn int // full input plane
	off      int // -pad_beg, applied to both axes as the fork does
	h1, w1   int // effective (cropped) input size
	h2, w2   int
}

func newInterp(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Interp](n)
	if err != nil {
		return nil, err
	}
	// A second bottom (PSPNet: take the size of another blob) only matters
	// to shape inference.
	if err := opArity(n, in, out, 1, 2, 1); err != nil {
		return nil, err
	}
	s, t := in[0], out[0]
	if len(s) != 4 || len(t) != 4 {
		return nil, opErr(n, "bottom[0]", "needs 4-D bottom and top, got %v -> %v", s, t)
	}
	if t[0] != s[0] || t[1] != s[1] {
		return nil, opErr(n, "top[0]", "shape %v must keep num and channels of bottom shape %v", t, s)
	}
	if op.PadBeg > 0 || op.PadEnd > 0 {
		return nil, opErr(n, "pad_beg", "only non-positive padding (cropping) is supported, got pad_beg %d pad_end %d", op.PadBeg, op.PadEnd)
	}
	l := &interpLayer{io: newOpIO(n, in, out), planes: s[0] * s[1], hIn: s[2], wIn: s[3], off: -op.PadBeg,
		h1: s[2] + op.PadBeg + op.PadEnd, w1: s[3] + op.PadBeg + op.PadEnd, h2: t[2], w2: t[3]}
	if l.h1 <= 0 || l.w1 <= 0 {
		return nil, opErr(n, "pad_end", "cropping leaves a %dx%d input", l.h1, l.w1)
	}
	if l.h2 <= 0 || l.w2 <= 0 {
		return nil, opErr(n, "top[0]", "output size %dx%d must be positive", l.h2, l.w2)
	}
	return l, nil
}

func (l *interpLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	dst := tops[0].Data
	src := inputCopy(bottoms[0].Data, dst)
	inPlane, outPlane := l.hIn*l.wIn, l.h2*l.w2
	for p := 0; p < l.planes; p++ {
		x := src[p*inPlane+l.off*l.wIn+l.off : (p+1)*inPlane]
		y := dst[p*outPlane : (p+1)*outPlane]
		l.plane(x, y)
	}
	return nil
}

// plane resizes one channel; x starts at the crop's top-left corner and has
// row stride wIn.
func (l *interpLayer) plane(x, y []float32) {
	if l.h1 == l.h2 && l.w1 == l.w2 {
		for h := 0; h < l.h2; h++ {
			copy(y[h*l.w2:(h+1)*l.w2], x[h*l.wIn:h*l.wIn+l.w2])
		}
		return
	}
	var rh, rw float32
	if l.h2 > 1 {
		rh = float32(l.h1-1) / float32(l.h2-1)
	}
	if l.w2 > 1 {
		rw = float32(l.w1-1) / float32(l.w2-1)
	}
	for h2 := 0; h2 < l.h2; h2++ {
		hr := rh * float32(h2)
		h1 := int(hr)
		hp := 0
		if h1 < l.h1-1 {
			hp = l.wIn
		}
		hl1 := hr - float32(h1)
		hl0 := 1 - hl1
		for w2 := 0; w2 < l.w2; w2++ {
			wr := rw * float32(w2)
			w1 := int(wr)
			wp := 0
			if w1 < l.w1-1 {
				wp = 1
			}
			wl1 := wr - float32(w1)
			wl0 := 1 - wl1
			i := h1*l.wIn + w1
			top := float32(wl0*x[i]) + float32(wl1*x[i+wp])
			bot := float32(wl0*x[i+hp]) + float32(wl1*x[i+hp+wp])
			y[h2*l.w2+w2] = float32(hl0*top) + float32(hl1*bot)
		}
	}
}
