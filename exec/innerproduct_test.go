package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

func TestInnerProduct(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	cases := []struct {
		shape []int
		axis  int
		n     int
	}{{[]int{2, 10}, 1, 4}, {[]int{2, 3, 5, 5}, 1, 7}, {[]int{2, 3, 5, 7}, 2, 3}, {[]int{3, 4, 5}, -1, 2}, {[]int{5, 3}, 0, 1}}
	for _, c := range cases {
		for _, transpose := range []bool{false, true} {
			for _, bias := range []bool{false, true} {
				axis := c.axis
				if axis < 0 {
					axis += len(c.shape)
				}
				m, k := graph.Shape(c.shape).CountRange(0, axis), graph.Shape(c.shape).CountRange(axis, len(c.shape))
				x := coreRand(r, c.shape...)
				var w *graph.Tensor
				if transpose {
					w = coreRand(r, k, c.n)
				} else {
					w = coreRand(r, c.n, k)
				}
				params := []*graph.Tensor{w}
				b := coreRand(r, c.n)
				if bias {
					params = append(params, b)
				}
				op := &graph.InnerProduct{NumOutput: c.n, BiasTerm: bias, Axis: c.axis, Transpose: transpose}
				got := coreRun(t, "InnerProduct", op, params, 1, x)[0]
				want := make([]float32, m*c.n)
				for i := 0; i < m; i++ {
					for j := 0; j < c.n; j++ {
						var s float64
						if bias {
							s = float64(b.Data[j])
						}
						for p := 0; p < k; p++ {
							wv := w.Data[j*k+p]
							if transpose {
								wv = w.Data[p*c.n+j]
							}
							s += float64(x.Data[i*k+p]) * float64(wv)
						}
						want[i*c.n+j] = float32(s)
					}
				}
				if err := coreClose(got.Data, want, 1e-5); err != nil {
					t.Errorf("%v axis %d transpose=%v bias=%v: %v", c.shape, c.axis, transpose, bias, err)
				}
			}
		}
	}
}
