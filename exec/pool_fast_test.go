package exec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// The mask-free MAX path (separable scans, vectorised for 3-wide and
// 2-wide windows; builtin max with a rescan at the borders) equals the
// masked row-major scan bit for bit, also on windows full of NaN, -0 and
// +0, -Inf, -FLT_MAX and +Inf, for every window, stride and pad.
func TestMaxPoolFastExact(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	special := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(-1)),
		-math.MaxFloat32, float32(math.Inf(1)), 1, -1}
	for it := range 400 {
		op := &graph.Pool{Method: graph.PoolMax, KernelH: 1 + r.IntN(4), KernelW: 1 + r.IntN(4),
			StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3), CeilMode: r.IntN(2) == 0}
		if it%50 == 49 { // windows too wide for the row buffer
			op.KernelW, op.StrideW = 250+r.IntN(30), 1+r.IntN(40)
		}
		switch it % 4 { // the windows with vector kernels
		case 0:
			op.KernelH, op.KernelW, op.StrideW = 3, 3, 1
		case 1:
			op.KernelH, op.KernelW, op.StrideW = 3, 3, 2
		case 2:
			op.KernelH, op.KernelW, op.StrideW = 2, 2, 2
		}
		op.PadH, op.PadW = r.IntN(op.KernelH), r.IntN(op.KernelW)
		// Widths past 2×128 cover whole vector blocks, chunk seams and
		// scalar tails.
		x := graph.NewTensor(graph.Shape{1, 2, 1 + r.IntN(9), 1 + r.IntN(300)})
		for i := range x.Data {
			if r.IntN(3) == 0 {
				x.Data[i] = special[r.IntN(len(special))]
			} else {
				x.Data[i] = float32(r.IntN(5) - 2)
			}
		}
		if op.KernelW > x.Shape[3] {
			x = graph.NewTensor(graph.Shape{1, 2, x.Shape[2], op.KernelW + r.IntN(20)})
			for i := range x.Data {
				x.Data[i] = special[r.IntN(len(special))]
			}
		}
		geo, err := op.Geometry(x.Shape)
		if err != nil {
			continue
		}
		n := 2 * geo.OutH * geo.OutW
		fast, ref, mask := make([]float32, n), make([]float32, n), make([]float32, n)
		poolPlanes(graph.PoolMax, geo, 2, x.Data, fast, nil)
		poolPlanes(graph.PoolMax, geo, 2, x.Data, ref, mask)
		for i := range fast {
			if math.Float32bits(fast[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("%+v on %v: [%d] = %v (bits %x), scan gives %v (bits %x)", op, x.Shape, i,
					fast[i], math.Float32bits(fast[i]), ref[i], math.Float32bits(ref[i]))
			}
		}
	}
}
