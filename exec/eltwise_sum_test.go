package exec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// eltAxpy's vector part gives the scalar loop's bits on every length and
// writes nothing past len(acc).
func TestEltAxpyVecMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	const guard = 9
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 33, 513} {
		x := make([]float32, n+guard)
		acc := make([]float32, n+guard)
		want := make([]float32, n+guard)
		for i := range x {
			x[i] = r.Float32()*8 - 4
			acc[i] = r.Float32()*8 - 4
			want[i] = acc[i]
		}
		for _, c := range []float32{1, -0.3} {
			eltAxpy(acc[:n], x, c)
			for i := 0; i < n; i++ {
				want[i] += float32(c * x[i])
			}
			if err := coreExact(acc, want); err != nil {
				t.Errorf("n=%d c=%v: %v", n, c, err)
			}
		}
	}
}

// Eltwise SUM against its definition (from +0, add each rounded product
// in bottom order), bit for bit: odd lengths across the stack chunk,
// three bottoms, signed zeros, and a top aliasing the last bottom.
func TestEltwiseSumChunksExact(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	for _, n := range []int{3, 17, 511, 513, 1031} {
		s := graph.Shape{1, n}
		in := []*graph.Tensor{coreRand(r, 1, n), coreRand(r, 1, n), coreRand(r, 1, n)}
		in[0].Data[0], in[1].Data[0], in[2].Data[0] = float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))
		for _, coeff := range [][]float32{nil, {1, -0.5, 3}} {
			want := make([]float32, n)
			for i := range want {
				var v float32
				for k, b := range in {
					c := float32(1)
					if coeff != nil {
						c = coeff[k]
					}
					v += float32(c * b.Data[i])
				}
				want[i] = v
			}
			op := &graph.Eltwise{Operation: graph.EltwiseSum, Coeff: coeff}
			l, _, err := xBuild("Eltwise", op, nil, 1, []graph.Shape{s, s, s})
			if err != nil {
				t.Fatal(err)
			}
			last := in[2].Clone()
			bottoms := []*graph.Tensor{in[0], in[1], last}
			if err := l.Forward(bottoms, []*graph.Tensor{last}); err != nil {
				t.Fatal(err)
			}
			if err := coreExact(last.Data, want); err != nil {
				t.Errorf("n=%d coeff=%v: %v", n, coeff, err)
			}
		}
	}
}
