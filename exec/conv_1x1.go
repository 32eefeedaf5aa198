package exec

import "github.com/caffetool/caffetool/exec/internal/gemm"

// forward1x1 is the 1×1, stride 1, pad 0 convolution of one sample: the
// bottom (channels × positions) is already the column matrix, so each
// group is a single GEMM, W_g · x_g, with no im2col copy (Caffe's is_1x1).
func (l *convLayer) forward1x1() {
	g := l.g
	m, k, np := g.colC/g.group, g.kernelDim, g.colSpatSz
	for gr := 0; gr < g.group; gr++ {
		gemm.Sgemm(false, false, m, np, k, 1,
			l.weight[gr*g.weightSize:], k,
			l.x[gr*k*np:], np,
			0, l.y[gr*m*np:], np)
	}
	l.runEpilogue()
}
