package exec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// The vector LRN steps give the scalar float32 loops' bits on every
// length (tails included) and write nothing past len(y) / len(acc).
func TestLRNVecMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	const guard = 9
	for _, n := range []int{1, 5, 7, 8, 9, 15, 16, 17, 31, 64, 257} {
		x := make([]float32, n+guard)
		s := make([]float32, n+guard)
		for i := range x {
			x[i] = r.Float32()*4 - 2
			s[i] = r.Float32() * 50
		}
		acc := make([]float32, n+guard)
		want := make([]float32, n+guard)
		for i := range acc {
			acc[i] = r.Float32()
			want[i] = acc[i]
		}
		lrnSqAcc(acc[:n], x)
		for i := 0; i < n; i++ {
			want[i] += float32(x[i] * x[i])
		}
		if err := coreExact(acc, want); err != nil {
			t.Errorf("lrnSqAcc n=%d: %v", n, err)
		}

		k, coef := float32(2), float32(1e-4/5)
		y := make([]float32, n+guard)
		for i := range y {
			y[i], want[i] = -7, -7
		}
		lrnPow75(y[:n], x, s, k, coef)
		for i := 0; i < n; i++ {
			r := sqrt32(k + float32(coef*s[i]))
			want[i] = x[i] / float32(r*sqrt32(r))
		}
		if err := coreExact(y, want); err != nil {
			t.Errorf("lrnPow75 n=%d: %v", n, err)
		}
	}
}

// ACROSS_CHANNELS with β = 0.75 (the float32 path) against a float64
// evaluation of the formula, on odd planes and a window wider than the
// channels at the edges.
func TestLRNAcross75Float64(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for _, sz := range [][4]int{{2, 7, 9, 31}, {1, 3, 1, 1}, {1, 4, 17, 19}} {
		x := coreRand(r, sz[:]...)
		for i := range x.Data {
			x.Data[i] *= 20
		}
		for _, op := range []*graph.LRN{
			{LocalSize: 5, Alpha: 1e-4, Beta: 0.75, K: 1},
			{LocalSize: 3, Alpha: 0.7, Beta: 0.75, K: 2},
		} {
			got := xRun(t, "LRN", op, nil, x)
			num, ch, plane := sz[0], sz[1], sz[2]*sz[3]
			pre := (op.LocalSize - 1) / 2
			for n := 0; n < num; n++ {
				for c := 0; c < ch; c++ {
					for i := 0; i < plane; i++ {
						var s float64
						for j := max(c-pre, 0); j < min(c-pre+op.LocalSize, ch); j++ {
							v := float64(x.Data[(n*ch+j)*plane+i])
							s += v * v
						}
						at := (n*ch+c)*plane + i
						want := float64(x.Data[at]) * math.Pow(float64(op.K)+float64(op.Alpha)/float64(op.LocalSize)*s, -0.75)
						if d := math.Abs(float64(got.Data[at]) - want); d > 1e-6*math.Abs(want)+1e-30 {
							t.Fatalf("%v %+v at %d: %v, want %v", sz, op, at, got.Data[at], want)
						}
					}
				}
			}
		}
	}
}
