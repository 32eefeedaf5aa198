package im2col

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randGeoms(r *rand.Rand, n int) []Geom2D {
	var gs []Geom2D
	for len(gs) < n {
		g := Geom2D{
			C: 1 + r.IntN(3), H: 1 + r.IntN(9), W: 1 + r.IntN(9),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4),
			PadH: r.IntN(3), PadW: r.IntN(3),
			StrideH: 1 + r.IntN(4), StrideW: 1 + r.IntN(4),
			DilH: 1 + r.IntN(3), DilW: 1 + r.IntN(3),
		}
		if oh, ow := g.Out(); oh > 0 && ow > 0 {
			gs = append(gs, g)
		}
	}
	return gs
}

// direct is im2col written straight from its definition.
func direct(g Geom2D, im []float32) []float32 {
	oh, ow := g.Out()
	col := make([]float32, g.ColLen())
	for c := 0; c < g.C; c++ {
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				row := (c*g.KH+kh)*g.KW + kw
				for y := 0; y < oh; y++ {
					for x := 0; x < ow; x++ {
						h := y*g.StrideH - g.PadH + kh*g.DilH
						w := x*g.StrideW - g.PadW + kw*g.DilW
						if h >= 0 && h < g.H && w >= 0 && w < g.W {
							col[row*oh*ow+y*ow+x] = im[(c*g.H+h)*g.W+w]
						}
					}
				}
			}
		}
	}
	return col
}

func nd(g Geom2D) GeomND {
	return GeomND{C: g.C, In: []int{g.H, g.W}, Kernel: []int{g.KH, g.KW}, Pad: []int{g.PadH, g.PadW},
		Stride: []int{g.StrideH, g.StrideW}, Dilation: []int{g.DilH, g.DilW}}
}

func TestIm2colMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range randGeoms(r, 400) {
		im := randSlice(r, g.C*g.H*g.W)
		want := direct(g, im)
		const guard = 5
		col := nanSlice(g.ColLen() + guard)
		Im2col2D(g, im, col)
		colND := nanSlice(g.ColLen() + guard)
		Im2colND(nd(g), im, colND)
		for i := range want {
			if col[i] != want[i] || colND[i] != want[i] {
				t.Fatalf("%+v: col[%d] 2d=%v nd=%v want %v", g, i, col[i], colND[i], want[i])
			}
		}
		for i := len(want); i < len(col); i++ {
			if !math.IsNaN(float64(col[i])) || !math.IsNaN(float64(colND[i])) {
				t.Fatalf("%+v: write past the column buffer at %d", g, i)
			}
		}
	}
}

// col2im is the adjoint of im2col: <im2col(x), y> == <x, col2im(y)>.
func TestCol2imIsAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, g := range randGeoms(r, 400) {
		x := randSlice(r, g.C*g.H*g.W)
		y := randSlice(r, g.ColLen())
		col := make([]float32, g.ColLen())
		Im2col2D(g, x, col)
		var lhs float64
		for i := range col {
			lhs += float64(col[i]) * float64(y[i])
		}
		for _, variant := range []string{"2d", "nd"} {
			im := nanSlice(len(x) + 3) // Col2im must overwrite, not accumulate into, im
			if variant == "2d" {
				Col2im2D(g, y, im)
			} else {
				Col2imND(nd(g), y, im)
			}
			var rhs float64
			for i := range x {
				rhs += float64(x[i]) * float64(im[i])
			}
			if math.Abs(lhs-rhs) > 1e-4*math.Max(1, math.Abs(lhs)) {
				t.Fatalf("%s %+v: <im2col x, y>=%v <x, col2im y>=%v", variant, g, lhs, rhs)
			}
			for i := len(x); i < len(im); i++ {
				if !math.IsNaN(float64(im[i])) {
					t.Fatalf("%s %+v: write past the image at %d", variant, g, i)
				}
			}
		}
	}
}

func Test3DMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	g := GeomND{C: 2, In: []int{4, 5, 3}, Kernel: []int{2, 3, 2}, Pad: []int{1, 0, 1}, Stride: []int{2, 1, 1}, Dilation: []int{1, 2, 1}}
	im := randSlice(r, 2*4*5*3)
	col := make([]float32, g.ColLen())
	Im2colND(g, im, col)
	out := g.Out()
	if out[0] != 3 || out[1] != 1 || out[2] != 4 {
		t.Fatalf("out = %v", out)
	}
	n := out[0] * out[1] * out[2]
	for c := 0; c < g.C; c++ {
		for a := 0; a < 2; a++ {
			for b := 0; b < 3; b++ {
				for e := 0; e < 2; e++ {
					row := ((c*2+a)*3+b)*2 + e
					for z := 0; z < out[0]; z++ {
						for y := 0; y < out[1]; y++ {
							for x := 0; x < out[2]; x++ {
								d, h, w := z*2-1+a, y+2*b, x-1+e
								var want float32
								if d >= 0 && d < 4 && h >= 0 && h < 5 && w >= 0 && w < 3 {
									want = im[((c*4+d)*5+h)*3+w]
								}
								if got := col[row*n+(z*out[1]+y)*out[2]+x]; got != want {
									t.Fatalf("row %d pos %d,%d,%d: %v want %v", row, z, y, x, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

func nanSlice(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}
