package exec

import (
	"github.com/caffetool/caffetool/exec/internal/gemm"
)

// Winograd F(2×2, 3×3) for 3×3, stride-1, undilated, ungrouped
// convolutions: each 2×2 block of outputs ("tile") is computed from the
// 4×4 input patch under it with 16 multiplies per input channel instead
// of 36 (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015). With d the patch, g the filter and
//
//	Bᵀ = | 1  0 -1  0 |    G = |  1    0    0  |    Aᵀ = | 1  1  1  0 |
//	     | 0  1  1  0 |        | 1/2  1/2  1/2 |         | 0  1 -1 -1 |
//	     | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
//	     | 0  1  0 -1 |        |  0    0    1  |
//
// the output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. Summed over input
// channels, the element-wise products become 16 independent GEMMs,
// U_ξ (outputs × channels) · V_ξ (channels × tiles), ξ the 16 positions of
// the 4×4 transformed tile. U is computed once, when the layer is built.
// The results differ from direct convolution only by float rounding in
// the transforms.
type winograd struct {
	c, k     int // input and output channels
	h, w     int // input size
	oh, ow   int // output size
	pad      [2]int
	th, tw   int // tiles down and across
	bandRows int // tile rows per band
	u        []float32
}

// Winograd is chosen when the transforms are cheap next to the GEMMs
// (enough channels on both sides) and the 16 GEMMs are wide enough to run
// at full speed (enough tiles). Measured single-threaded on AVX-512
// (BenchmarkConv and ResNet/VGG layer shapes): 1.3-1.8× faster than
// im2col from 64 channels and 14×14 outputs up; slower on 7×7 outputs
// (16 tiles) and below 64 channels.
const (
	winogradMinChannels = 64
	winogradMinTiles    = 36
)

// useWinograd switches the path on (a variable so that tests and
// benchmarks can compare it with im2col).
var useWinograd = true

// newWinograd returns the plan for g, or nil when F(2×2, 3×3) does not
// apply or would not pay.
func newWinograd(g *convGeom, weight []float32) *winograd {
	if g.nd || g.group != 1 || g.kernel[0] != 3 || g.kernel[1] != 3 ||
		g.stride[0] != 1 || g.stride[1] != 1 || g.dilation[0] != 1 || g.dilation[1] != 1 ||
		g.imC < winogradMinChannels || g.colC < winogradMinChannels {
		return nil
	}
	wg := &winograd{
		c: g.imC, k: g.colC, h: g.imSpatial[0], w: g.imSpatial[1], oh: g.colSpatial[0], ow: g.colSpatial[1],
		pad: [2]int{g.pad[0], g.pad[1]},
	}
	if wg.oh <= 0 || wg.ow <= 0 {
		return nil
	}
	wg.th, wg.tw = (wg.oh+1)/2, (wg.ow+1)/2
	if wg.th*wg.tw < winogradMinTiles {
		return nil
	}
	// A band's V and M (16 values per channel and tile each) near
	// colBandBytes.
	perRow := 4 * 16 * wg.tw * (wg.c + wg.k)
	wg.bandRows = min(wg.th, max(1, 8*colBandBytes/perRow, (512+wg.tw-1)/wg.tw))
	wg.u = make([]float32, 16*wg.k*wg.c)
	for o := 0; o < wg.k; o++ {
		for c := 0; c < wg.c; c++ {
			f := weight[(o*wg.c+c)*9 : (o*wg.c+c)*9+9]
			var t [16]float32
			filterTransform(f, &t)
			for xi, v := range t {
				wg.u[(xi*wg.k+o)*wg.c+c] = v
			}
		}
	}
	return wg
}

// scratchLen is the size of one band's V and M.
func (wg *winograd) scratchLen() int { return 16 * wg.bandRows * wg.tw * (wg.c + wg.k) }

// filterTransform computes G g Gᵀ (4×4) of a 3×3 filter.
func filterTransform(g []float32, u *[16]float32) {
	// t = G g: 4×3.
	var t [12]float32
	for j := 0; j < 3; j++ {
		g0, g1, g2 := g[j], g[3+j], g[6+j]
		t[j] = g0
		t[3+j] = 0.5 * (g0 + g1 + g2)
		t[6+j] = 0.5 * (g0 - g1 + g2)
		t[9+j] = g2
	}
	// u = t Gᵀ: 4×4.
	for i := 0; i < 4; i++ {
		a, b, c := t[3*i], t[3*i+1], t[3*i+2]
		u[4*i] = a
		u[4*i+1] = 0.5 * (a + b + c)
		u[4*i+2] = 0.5 * (a - b + c)
		u[4*i+3] = c
	}
}

// forwardWinograd convolves one sample (l.x → l.y), band by band.
func (l *convLayer) forwardWinograd() {
	wg := l.wino
	buf := l.get()
	for t0 := 0; t0 < wg.th; t0 += wg.bandRows {
		l.r0, l.r1 = t0, min(wg.th, t0+wg.bandRows)
		tiles := (l.r1 - l.r0) * wg.tw
		l.col = buf[:16*wg.c*tiles] // V
		l.wm = buf[16*wg.c*tiles : 16*(wg.c+wg.k)*tiles]
		l.par.For(wg.c, grain(16*tiles), l.winoInRange)
		for xi := 0; xi < 16; xi++ {
			gemm.Sgemm(false, false, wg.k, tiles, wg.c, 1,
				wg.u[xi*wg.k*wg.c:], wg.c,
				l.col[xi*wg.c*tiles:], tiles,
				0, l.wm[xi*wg.k*tiles:], tiles)
		}
		l.par.For(wg.k, grain(16*tiles), l.winoOutRange)
	}
}

// winoColumns is the widest padded input row winoInput handles with its
// stack buffer; wider images (over ~1000 pixels) take winoInputGeneric.
const winoColumns = 1024

// winoInput transforms the input patches of the current band for
// channels [lo, hi) into V (V_ξ is channels × tiles). Bᵀ d B is computed
// as Bᵀ on the columns of four input rows, once per column and tile row
// (neighbouring tiles share two columns), then B on each tile's four
// transformed columns.
func (l *convLayer) winoInput(lo, hi int) {
	wg := l.wino
	width := 2*wg.tw + 2 // padded columns the tiles read
	if width > winoColumns {
		l.winoInputGeneric(lo, hi)
		return
	}
	tiles := (l.r1 - l.r0) * wg.tw
	step := wg.c * tiles
	var cols [4][winoColumns]float32
	for c := lo; c < hi; c++ {
		x := l.x[c*wg.h*wg.w : (c+1)*wg.h*wg.w]
		t := c * tiles
		for ty := l.r0; ty < l.r1; ty++ {
			y0 := 2*ty - wg.pad[0]
			var rows [4][]float32
			for i := range rows {
				if yy := y0 + i; yy >= 0 && yy < wg.h {
					rows[i] = x[yy*wg.w : (yy+1)*wg.w]
				}
			}
			// Bᵀ on every column; padding columns and rows are zeros.
			c0, c1, c2, c3 := cols[0][:width], cols[1][:width], cols[2][:width], cols[3][:width]
			for p := range width {
				xx := p - wg.pad[1]
				var d0, d1, d2, d3 float32
				if xx >= 0 && xx < wg.w {
					if rows[0] != nil {
						d0 = rows[0][xx]
					}
					if rows[1] != nil {
						d1 = rows[1][xx]
					}
					if rows[2] != nil {
						d2 = rows[2][xx]
					}
					if rows[3] != nil {
						d3 = rows[3][xx]
					}
				}
				c0[p], c1[p], c2[p], c3[p] = d0-d2, d1+d2, d2-d1, d1-d3
			}
			// B on each tile's columns 2·tx … 2·tx+3: V_ξ for ξ = 4i+j is
			// the plane l.col[ξ·step:], so each (i, j) writes one
			// sequential stream of tiles.
			n := wg.tw
			for i, ci := range &[4][]float32{c0, c1, c2, c3} {
				v0 := l.col[t+(4*i)*step : t+(4*i)*step+n]
				v1 := l.col[t+(4*i+1)*step : t+(4*i+1)*step+n]
				v2 := l.col[t+(4*i+2)*step : t+(4*i+2)*step+n]
				v3 := l.col[t+(4*i+3)*step : t+(4*i+3)*step+n]
				for tx := range v0 {
					v := ci[2*tx : 2*tx+4]
					v0[tx] = v[0] - v[2]
					v1[tx] = v[1] + v[2]
					v2[tx] = v[2] - v[1]
					v3[tx] = v[1] - v[3]
				}
			}
			t += n
		}
	}
}

// winoInputGeneric is winoInput one patch at a time, for any width.
func (l *convLayer) winoInputGeneric(lo, hi int) {
	wg := l.wino
	tiles := (l.r1 - l.r0) * wg.tw
	step := wg.c * tiles
	for c := lo; c < hi; c++ {
		x := l.x[c*wg.h*wg.w : (c+1)*wg.h*wg.w]
		t := c * tiles
		for ty := l.r0; ty < l.r1; ty++ {
			y0 := 2*ty - wg.pad[0]
			for tx := 0; tx < wg.tw; tx++ {
				x0 := 2*tx - wg.pad[1]
				var d [16]float32
				for i := 0; i < 4; i++ {
					if yy := y0 + i; yy >= 0 && yy < wg.h {
						for j := 0; j < 4; j++ {
							if xx := x0 + j; xx >= 0 && xx < wg.w {
								d[4*i+j] = x[yy*wg.w+xx]
							}
						}
					}
				}
				// Bᵀ d (columns), then B (rows).
				var m [16]float32
				for j := 0; j < 4; j++ {
					d0, d1, d2, d3 := d[j], d[4+j], d[8+j], d[12+j]
					m[j], m[4+j], m[8+j], m[12+j] = d0-d2, d1+d2, d2-d1, d1-d3
				}
				for i := 0; i < 4; i++ {
					r0, r1, r2, r3 := m[4*i], m[4*i+1], m[4*i+2], m[4*i+3]
					o := t + 4*i*step
					l.col[o] = r0 - r2
					l.col[o+step] = r1 + r2
					l.col[o+2*step] = r2 - r1
					l.col[o+3*step] = r1 - r3
				}
				t++
			}
		}
	}
}

// winoOutput turns M back into 2×2 output tiles for output channels
// [lo, hi) of the current band and runs the epilogue on their rows.
func (l *convLayer) winoOutput(lo, hi int) {
	wg := l.wino
	tiles := (l.r1 - l.r0) * wg.tw
	step := wg.k * tiles
	plane := wg.oh * wg.ow
	oy0, oy1 := 2*l.r0, min(wg.oh, 2*l.r1)
	n := wg.tw
	var m [16][]float32
	for k := lo; k < hi; k++ {
		y := l.y[k*plane : (k+1)*plane]
		t := k * tiles
		for ty := l.r0; ty < l.r1; ty++ {
			// M_ξ for this channel and tile row: 16 sequential streams.
			for xi := range m {
				m[xi] = l.wm[t+xi*step : t+xi*step+n]
			}
			t += n
			oy := 2 * ty
			row0 := y[oy*wg.ow : (oy+1)*wg.ow]
			var row1 []float32
			if oy+1 < wg.oh {
				row1 = y[(oy+1)*wg.ow : (oy+2)*wg.ow]
			}
			for tx := 0; tx < n; tx++ {
				// Aᵀ M (2×4), then (Aᵀ M) A (2×2).
				a0 := m[0][tx] + m[4][tx] + m[8][tx]
				a1 := m[1][tx] + m[5][tx] + m[9][tx]
				a2 := m[2][tx] + m[6][tx] + m[10][tx]
				a3 := m[3][tx] + m[7][tx] + m[11][tx]
				b0 := m[4][tx] - m[8][tx] - m[12][tx]
				b1 := m[5][tx] - m[9][tx] - m[13][tx]
				b2 := m[6][tx] - m[10][tx] - m[14][tx]
				b3 := m[7][tx] - m[11][tx] - m[15][tx]
				ox := 2 * tx
				if ox+1 < wg.ow {
					row0[ox], row0[ox+1] = a0+a1+a2, a1-a2-a3
					if row1 != nil {
						row1[ox], row1[ox+1] = b0+b1+b2, b1-b2-b3
					}
					continue
				}
				row0[ox] = a0 + a1 + a2
				if row1 != nil {
					row1[ox] = b0 + b1 + b2
				}
			}
		}
		if len(l.epi) > 0 {
			l.passes.apply(k, y[oy0*wg.ow:oy1*wg.ow])
		}
	}
}
