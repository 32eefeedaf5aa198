package exec

import (
	"fmt"

	"github.com/caffetool/caffetool/graph"
)

// upsampleLayer is the fork Upsample layer in its two forms:
//
//   - two bottoms (SegNet/ENet max-unpooling, caffe-segnet
//     upsample_layer.cpp): bottom 1 is a MAX pooling mask holding, for each
//     bottom value, the flat index h·W+w inside its output plane; the value
//     goes there and every other output is 0. The output plane size comes
//     from shape inference (upsample_h/w or scale).
//   - one bottom (YOLO-style forks): nearest-neighbour upsampling of the last
//     two axes, out[h][w] = in[h/scale_h][w/scale_w]. Written as
//     in[h·H/H'][w·W/W'], which is the same for integer scales and still
//     defined when upsample_h/w are not multiples of the input size.
type upsampleLayer struct {
	io         opIO
	unpool     bool
	planes     int
	hIn, wIn   int
	hOut, wOut int
}

func newUpsample(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if _, err := opAs[graph.Upsample](n); err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 2, 1); err != nil {
		return nil, err
	}
	s, t := in[0], out[0]
	l := &upsampleLayer{io: newOpIO(n, in, out), unpool: len(in) == 2}
	if l.unpool {
		if len(s) != 4 || len(t) != 4 {
			return nil, opErr(n, "bottom[0]", "needs 4-D bottoms and top, got %v -> %v", s, t)
		}
		if !in[1].Equal(s) {
			return nil, opErr(n, "bottom[1]", "mask shape %v differs from bottom[0] shape %v", in[1], s)
		}
	} else if len(s) < 2 || len(t) != len(s) {
		return nil, opErr(n, "bottom[0]", "needs at least 2 axes and a top of the same rank, got %v -> %v", s, t)
	}
	r := len(s)
	for i := 0; i < r-2; i++ {
		if s[i] != t[i] {
			return nil, opErr(n, "top[0]", "shape %v must keep the leading axes of bottom shape %v", t, s)
		}
	}
	l.planes = s.CountRange(0, r-2)
	l.hIn, l.wIn, l.hOut, l.wOut = s[r-2], s[r-1], t[r-2], t[r-1]
	if !l.unpool && l.hIn*l.wIn == 0 && l.hOut*l.wOut != 0 {
		return nil, opErr(n, "top[0]", "cannot upsample an empty %dx%d plane to %dx%d", l.hIn, l.wIn, l.hOut, l.wOut)
	}
	return l, nil
}

func (l *upsampleLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	dst := tops[0].Data
	src := inputCopy(bottoms[0].Data, dst)
	inPlane, outPlane := l.hIn*l.wIn, l.hOut*l.wOut
	if l.unpool {
		mask := inputCopy(bottoms[1].Data, dst)
		clear(dst)
		for p := 0; p < l.planes; p++ {
			y := dst[p*outPlane : (p+1)*outPlane]
			for i := p * inPlane; i < (p+1)*inPlane; i++ {
				// The mask is stored as float; Caffe truncates it to int.
				m := mask[i]
				if !(m > -1 && m < float32(outPlane)) {
					return &graph.LayerError{Layer: l.io.name, Type: l.io.typ, Field: "bottom[1]",
						Err: fmt.Errorf("mask index %v at %d is outside the %dx%d output plane", m, i, l.hOut, l.wOut)}
				}
				y[int(m)] = src[i]
			}
		}
		return nil
	}
	if outPlane == 0 {
		return nil
	}
	for p := 0; p < l.planes; p++ {
		x := src[p*inPlane : (p+1)*inPlane]
		y := dst[p*outPlane : (p+1)*outPlane]
		for h := 0; h < l.hOut; h++ {
			r := h * l.hIn / l.hOut
			row := x[r*l.wIn : (r+1)*l.wIn]
			out := y[h*l.wOut : (h+1)*l.wOut]
			for w := range out {
				out[w] = row[w*l.wIn/l.wOut]
			}
		}
	}
	return nil
}
