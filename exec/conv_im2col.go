package exec

import (
	"github.com/caffetool/caffetool/graph"
)

// im2colLayer is Caffe's Im2col layer: per sample, the column matrix of a
// convolution with the given window (num_output and group play no part),
// laid out as [C·Πkernel, out spatial...].
type im2colLayer struct {
	ioSizes
	g *convGeom
}

func newIm2col(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Im2col](n)
	if err != nil {
		return nil, err
	}
	if err := coreArity(n, in, out, 1, 1, 1, 1); err != nil {
		return nil, err
	}
	// The column geometry is a convolution's with one group; num_output
	// only sizes the conv top, which is checked here against the real top.
	conv := op.Conv
	conv.Deconv, conv.Depthwise, conv.Group = false, false, 1
	axis, err := graph.CanonicalAxis(conv.Axis, len(in[0]))
	if err != nil {
		return nil, coreErr(n, "axis", "%v", err)
	}
	if len(out[0]) != len(in[0]) {
		return nil, coreErr(n, "top[0]", "inferred shape %v has a different rank than bottom %v", out[0], in[0])
	}
	conv.NumOutput = out[0][axis]
	convOut := out[0].Clone()
	g, err := newConvGeom(n, &conv, in[0], convOut)
	if err != nil {
		return nil, err
	}
	if g.kernelDim != out[0][axis] {
		return nil, coreErr(n, "top[0]", "inferred shape %v: channel axis should be %d (channels × kernel)", out[0], g.kernelDim)
	}
	return &im2colLayer{ioSizes: newIOSizes(in, out), g: g}, nil
}

func (l *im2colLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	g := l.g
	outDim := g.kernelDim * g.colSpatSz
	for s := 0; s < g.num; s++ {
		x := bottoms[0].Data[s*g.imSize : (s+1)*g.imSize]
		y := tops[0].Data[s*outDim : (s+1)*outDim]
		if g.is1x1 {
			copy(y, x)
			continue
		}
		g.im2col(x, y)
	}
	return nil
}
