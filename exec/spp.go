package exec

import (
	"github.com/caffetool/caffetool/graph"
)

// sppLayer is spatial pyramid pooling: level l pools with 2^l bins per axis
// (kernel, stride and pad from graph's SPP.Levels, i.e. Caffe's
// GetPoolingParam), each level's N×C×h×w output is flattened per sample and
// the levels are concatenated along axis 1.
type sppLayer struct {
	ioSizes
	method graph.PoolMethod
	levels []*graph.PoolGeom
	n, c   int
	buf    [][]float32 // per-level pooled output, before interleaving
}

func newSPP(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.SPP](n)
	if err != nil {
		return nil, err
	}
	if err := coreArity(n, in, out, 1, 1, 1, 1); err != nil {
		return nil, err
	}
	levels, err := op.Levels(in[0])
	if err != nil {
		return nil, coreErr(n, "", "%v", err)
	}
	l := &sppLayer{ioSizes: newIOSizes(in, out), method: op.Method, levels: levels, n: in[0][0], c: in[0][1]}
	per := 0
	for _, g := range levels {
		per += l.c * g.OutH * g.OutW
		l.buf = append(l.buf, make([]float32, l.n*l.c*g.OutH*g.OutW))
	}
	if out[0].Count() != l.n*per || len(out[0]) < 2 || out[0][0] != l.n {
		return nil, coreErr(n, "top[0]", "inferred shape %v disagrees with the pyramid (%d values per sample)", out[0], per)
	}
	return l, nil
}

func (l *sppLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	if l.n == 0 { // an empty batch has nothing to pool
		return nil
	}
	per := len(tops[0].Data) / l.n
	off := 0
	for i, g := range l.levels {
		poolPlanes(l.method, g, l.n*l.c, bottoms[0].Data, l.buf[i], nil)
		chunk := l.c * g.OutH * g.OutW
		for s := 0; s < l.n; s++ {
			copy(tops[0].Data[s*per+off:s*per+off+chunk], l.buf[i][s*chunk:(s+1)*chunk])
		}
		off += chunk
	}
	return nil
}
