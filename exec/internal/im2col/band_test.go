package im2col

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every band of channels × output rows must equal the matching rows and
// columns of the whole column matrix, and write nothing past its size.
func TestIm2colBandMatchesWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, g := range randGeoms(r, 300) {
		im := randSlice(r, g.C*g.H*g.W)
		whole := direct(g, im)
		oh, ow := g.Out()
		c0 := r.IntN(g.C)
		c1 := c0 + 1 + r.IntN(g.C-c0)
		r0 := r.IntN(oh)
		r1 := r0 + 1 + r.IntN(oh-r0)
		width := (r1 - r0) * ow
		n := (c1 - c0) * g.KH * g.KW * width
		const guard = 3
		col := nanSlice(n + guard)
		Im2col2DBand(g, im, col, c0, c1, r0, r1)
		for i := n; i < n+guard; i++ {
			if !math.IsNaN(float64(col[i])) {
				t.Fatalf("%+v: wrote past the band at %d", g, i)
			}
		}
		k := g.KH * g.KW
		for row := 0; row < (c1-c0)*k; row++ {
			src := (c0*k + row) * oh * ow
			for j := 0; j < width; j++ {
				if got, want := col[row*width+j], whole[src+r0*ow+j]; got != want {
					t.Fatalf("%+v band c[%d,%d) r[%d,%d): row %d col %d = %v, want %v", g, c0, c1, r0, r1, row, j, got, want)
				}
			}
		}
	}
}

// Any range of column-matrix rows of a band (cutting through channels)
// equals those rows of the whole column matrix.
func TestIm2colBandRowsMatchesWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, g := range randGeoms(r, 300) {
		im := randSlice(r, g.C*g.H*g.W)
		whole := direct(g, im)
		oh, ow := g.Out()
		k := g.KH * g.KW
		q0 := r.IntN(g.C * k)
		q1 := q0 + 1 + r.IntN(g.C*k-q0)
		r0 := r.IntN(oh)
		r1 := r0 + 1 + r.IntN(oh-r0)
		width := (r1 - r0) * ow
		n := (q1 - q0) * width
		const guard = 3
		col := nanSlice(n + guard)
		Im2col2DBandRows(g, im, col, q0, q1, r0, r1)
		for i := n; i < n+guard; i++ {
			if !math.IsNaN(float64(col[i])) {
				t.Fatalf("%+v: wrote past the band at %d", g, i)
			}
		}
		for row := 0; row < q1-q0; row++ {
			src := (q0 + row) * oh * ow
			for j := 0; j < width; j++ {
				if got, want := col[row*width+j], whole[src+r0*ow+j]; got != want {
					t.Fatalf("%+v rows [%d,%d) r[%d,%d): row %d col %d = %v, want %v", g, q0, q1, r0, r1, row, j, got, want)
				}
			}
		}
	}
}
