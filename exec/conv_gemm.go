package exec

import (
	"github.com/caffetool/caffetool/exec/internal/gemm"
	"github.com/caffetool/caffetool/exec/internal/im2col"
)

// Band sizing of the im2col path. A column buffer for a whole image can be
// far larger than the cache (VGG's conv1_2: 576 rows × 50176 positions,
// 115 MB) and would be written to memory and read back. A band of output
// rows keeps it near colBandBytes; bands are at least minBandCols wide
// because every GEMM call packs the whole weight matrix again, a cost that
// only a wide band amortises.
const (
	colBandBytes = 2 << 20
	minBandCols  = 1024
)

// bandRows is the number of output rows per band for a 2-D convolution.
func bandRows(g *convGeom) int {
	if g.nd {
		return 0
	}
	oh, ow := g.colSpatial[0], g.colSpatial[1]
	if oh <= 0 || ow <= 0 {
		return max(oh, 1)
	}
	perRow := 4 * g.kernelDim * g.group * ow
	rows := max(colBandBytes/max(perRow, 1), (minBandCols+ow-1)/ow, 1)
	return min(rows, oh)
}

// colBandLen is the column buffer size: one band (2-D) or the whole
// matrix (N-D, which has no banded im2col).
func (l *convLayer) colBandLen() int {
	g := l.g
	if g.nd {
		return g.colLen()
	}
	return g.kernelDim * g.group * l.bandRows * g.colSpatial[1]
}

// forwardGEMM convolves one sample (l.x → l.y) through im2col and GEMM.
func (l *convLayer) forwardGEMM() {
	g := l.g
	l.col = l.get()
	if g.nd {
		g.im2col(l.x, l.col)
		l.gemmBand(0, g.colSpatSz)
		l.runEpilogue()
		return
	}
	oh, ow := g.colSpatial[0], g.colSpatial[1]
	kk := g.kernel[0] * g.kernel[1]
	grainC, grainE := grain(l.bandRows*ow), grain(l.bandRows*ow)
	for r0 := 0; r0 < oh; r0 += l.bandRows {
		l.r0, l.r1 = r0, min(oh, r0+l.bandRows)
		l.par.For(g.imC*kk, grainC, l.im2colRange)
		l.gemmBand(l.r0*ow, l.r1*ow)
		if len(l.epi) > 0 {
			l.par.For(g.colC, grainE, l.epiBandRange)
		}
	}
}

// im2colRows fills column rows [lo, hi) (input channel × kernel
// offset) for the current band.
func (l *convLayer) im2colRows(lo, hi int) {
	g := l.g
	width := (l.r1 - l.r0) * g.colSpatial[1]
	im2col.Im2col2DBandRows(g.geom2D(), l.x, l.col[lo*width:], lo, hi, l.r0, l.r1)
}

// gemmBand multiplies each group's weights by the column band holding
// output positions [j0, j1), writing those columns of the output planes.
func (l *convLayer) gemmBand(j0, j1 int) {
	g := l.g
	m, k, np := g.colC/g.group, g.kernelDim, g.colSpatSz
	width := j1 - j0
	for gr := 0; gr < g.group; gr++ {
		gemm.Sgemm(false, false, m, width, k, 1,
			l.weight[gr*g.weightSize:], k,
			l.col[gr*k*width:], width,
			0, l.y[gr*m*np+j0:], np)
	}
}

// epiBandChannels applies the epilogue to the current band of output
// channels [lo, hi).
func (l *convLayer) epiBandChannels(lo, hi int) {
	g := l.g
	np, ow := g.colSpatSz, g.colSpatial[1]
	j0, j1 := l.r0*ow, l.r1*ow
	for c := lo; c < hi; c++ {
		l.passes.apply(c, l.y[c*np+j0:c*np+j1])
	}
}
