package exec

import (
	"github.com/caffetool/caffetool/exec/internal/gemm"
	"github.com/caffetool/caffetool/graph"
)

// deconvLayer is Deconvolution, computed as Caffe does: the backward-data
// pass of a convolution. Per sample and group, col = W_gᵀ · x_g (W stored
// [C_in, C_out/group, k...]), then col2im scatters the columns into the top.
type deconvLayer struct {
	ioSizes
	scratch
	g      *convGeom
	weight []float32
	bias   []float32
}

func newDeconvolution(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Conv](n)
	if err != nil {
		return nil, err
	}
	if !op.Deconv {
		return nil, coreErr(n, "", "not a deconvolution")
	}
	if len(in) == 0 || len(in) != len(out) {
		return nil, coreErr(n, "top", "needs one top per bottom, got %d bottoms and %d tops", len(in), len(out))
	}
	g, err := newConvGeom(n, op, in[0], out[0])
	if err != nil {
		return nil, err
	}
	if err := sameShapes(n, in, out); err != nil {
		return nil, err
	}
	l := &deconvLayer{ioSizes: newIOSizes(in, out), g: g}
	l.scratch.n = g.colLen()
	if l.weight, err = coreParam(n, 0, g.group*g.weightSize); err != nil {
		return nil, err
	}
	if op.BiasTerm {
		if l.bias, err = coreParam(n, 1, g.imC); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *deconvLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	g := l.g
	inDim := g.colC * g.colSpatSz
	colBuf := l.get()
	for i := range bottoms {
		for s := 0; s < g.num; s++ {
			x := bottoms[i].Data[s*inDim : (s+1)*inDim]
			y := tops[i].Data[s*g.imSize : (s+1)*g.imSize]
			col := y // 1x1: the column matrix is the top itself
			if !g.is1x1 {
				col = colBuf
			}
			m, np, k := g.kernelDim, g.colSpatSz, g.colC/g.group
			for gr := 0; gr < g.group; gr++ {
				gemm.Sgemm(true, false, m, np, k, 1,
					l.weight[gr*g.weightSize:], m,
					x[gr*k*np:], np,
					0, col[gr*m*np:], np)
			}
			if !g.is1x1 {
				g.col2im(col, y)
			}
			addChannelBias(y, l.bias, prodInts(g.imSpatial))
		}
	}
	return nil
}
