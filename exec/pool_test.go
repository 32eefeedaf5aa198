package exec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/exec/internal/ref"
	"github.com/caffetool/caffetool/graph"
)

var poolCases = []graph.Pool{
	{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true},
	{KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: true},
	{KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: false},
	{KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 3, PadH: 1, PadW: 0, CeilMode: true},
	{KernelH: 2, KernelW: 3, StrideH: 3, StrideW: 4, CeilMode: true}, // stride > kernel, empty windows possible
	{KernelH: 4, KernelW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 2, CeilMode: false},
	{KernelH: 3, KernelW: 3, StrideH: 3, StrideW: 3, PadH: 1, PadW: 1, CeilMode: true},
	{KernelH: 5, KernelW: 1, StrideH: 1, StrideW: 1, PadH: 2, CeilMode: true},
	{Global: true, StrideH: 1, StrideW: 1},
}

var poolInputs = [][4]int{{1, 3, 7, 7}, {2, 5, 9, 11}, {2, 7, 13, 8}, {1, 2, 9, 9}, {1, 3, 5, 6}}

func TestPoolingMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, pc := range poolCases {
		for _, d := range poolInputs {
			for _, method := range []graph.PoolMethod{graph.PoolMax, graph.PoolAve} {
				op := pc
				op.Method = method
				geo, err := op.Geometry(graph.Shape(d[:]))
				if err != nil {
					continue // geometry Caffe rejects for this input
				}
				x := coreRand(r, d[:]...)
				p := ref.Pool2D{N: d[0], C: d[1], H: d[2], W: d[3], KH: geo.KernelH, KW: geo.KernelW,
					StrideH: geo.StrideH, StrideW: geo.StrideW, PadH: geo.PadH, PadW: geo.PadW, OutH: geo.OutH, OutW: geo.OutW}
				if method == graph.PoolMax {
					got := coreRun(t, "Pooling", &op, nil, 2, x)
					want, mask := ref.MaxPool(p, x.Data)
					if err := coreExact(got[0].Data, want); err != nil {
						t.Errorf("MAX %+v on %v: %v", pc, d, err)
					}
					if err := coreExact(got[1].Data, mask); err != nil {
						t.Errorf("MAX mask %+v on %v: %v", pc, d, err)
					}
					one := coreRun(t, "Pooling", &op, nil, 1, x)
					if err := coreExact(one[0].Data, want); err != nil {
						t.Errorf("MAX single top %+v on %v: %v", pc, d, err)
					}
				} else {
					got := coreRun(t, "Pooling", &op, nil, 1, x)
					if err := coreClose(got[0].Data, ref.AvePool(p, x.Data), 1e-5); err != nil {
						t.Errorf("AVE %+v on %v: %v", pc, d, err)
					}
				}
			}
		}
	}
}

// Caffe's quirk (conformance case pooling_max_k2_s3_empty_window): with
// pad 0 in ceil mode the last window can miss the input entirely; it
// yields -FLT_MAX with mask -1.
func TestPoolingEmptyWindow(t *testing.T) {
	op := &graph.Pool{Method: graph.PoolMax, KernelH: 2, KernelW: 2, StrideH: 3, StrideW: 3, CeilMode: true}
	x := coreSeq(1, 1, 9, 9)
	got := coreRun(t, "Pooling", op, nil, 2, x)
	if !got[0].Shape.Equal(graph.Shape{1, 1, 4, 4}) {
		t.Fatalf("shape %v", got[0].Shape)
	}
	for i := 0; i < 4; i++ {
		for _, k := range []int{3*4 + i, i*4 + 3} {
			if got[0].Data[k] != -math.MaxFloat32 || got[1].Data[k] != -1 {
				t.Errorf("cell %d = %v mask %v, want -FLT_MAX and -1", k, got[0].Data[k], got[1].Data[k])
			}
		}
	}
	// Window (1,1) covers rows/cols 3..4: max is at (4,4) = 40.
	if got[0].Data[5] != 40 || got[1].Data[5] != 40 {
		t.Errorf("cell 5 = %v mask %v, want 40 and 40", got[0].Data[5], got[1].Data[5])
	}
}

// The AVE divisor counts padding but not the overhang past it.
func TestPoolingAveDivisor(t *testing.T) {
	// 1x1x4x4 of ones, kernel 3 stride 3 pad 1 (ceil): windows start at -1
	// and 2. Row window 0 spans [-1,2) (3 cells, 1 of them padding); row
	// window 1 spans [2,5) clipped to H+pad = 5 (3 cells, 1 padding).
	op := &graph.Pool{Method: graph.PoolAve, KernelH: 3, KernelW: 3, StrideH: 3, StrideW: 3, PadH: 1, PadW: 1, CeilMode: true}
	x := graph.NewTensor(graph.Shape{1, 1, 4, 4})
	for i := range x.Data {
		x.Data[i] = 1
	}
	got := coreRun(t, "Pooling", op, nil, 1, x)[0]
	want := []float32{4.0 / 9, 4.0 / 9, 4.0 / 9, 4.0 / 9}
	if err := coreClose(got.Data, want, 1e-6); err != nil {
		t.Fatal(err)
	}
	// Overhang beyond the padding: the same input with kernel 3 stride 2
	// pad 1 has windows at -1, 1, 3 per axis; the last spans [3,6), clipped
	// to H+pad = 5 for the divisor (2 per axis) and to [3,4) for the sum.
	op2 := &graph.Pool{Method: graph.PoolAve, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true}
	got2 := coreRun(t, "Pooling", op2, nil, 1, x)[0]
	if !got2.Shape.Equal(graph.Shape{1, 1, 3, 3}) {
		t.Fatalf("shape %v", got2.Shape)
	}
	if got2.Data[8] != 0.25 {
		t.Errorf("corner = %v, want 0.25", got2.Data[8])
	}
}

// STOCHASTIC at test time: Σx²/Σx per window, no padding.
func TestPoolingStochasticTest(t *testing.T) {
	op := &graph.Pool{Method: graph.PoolStochastic, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: true}
	x := &graph.Tensor{Shape: graph.Shape{1, 1, 2, 3}, Data: []float32{1, 2, 3, 3, 4, 0}}
	got := coreRun(t, "Pooling", op, nil, 1, x)[0]
	// Windows: {1,2,3,4} -> 30/10 = 3; {3,0} (clipped) -> 9/3 = 3.
	if err := coreClose(got.Data, []float32{3, 3}, 1e-6); err != nil {
		t.Fatal(err)
	}
	zero := graph.NewTensor(graph.Shape{1, 1, 2, 2})
	if got := coreRun(t, "Pooling", op, nil, 1, zero)[0]; got.Data[0] != 0 {
		t.Errorf("all-zero window = %v, want 0", got.Data[0])
	}
}

func TestSPP(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for _, d := range [][4]int{{2, 3, 7, 9}, {1, 2, 9, 11}, {2, 5, 16, 13}} {
		for _, method := range []graph.PoolMethod{graph.PoolMax, graph.PoolAve} {
			for _, height := range []int{1, 2, 3} {
				op := &graph.SPP{PyramidHeight: height, Method: method}
				x := coreRand(r, d[:]...)
				got, err := coreRunErr("SPP", op, nil, 1, x)
				if err != nil {
					if _, lerr := op.Levels(graph.Shape(d[:])); lerr == nil {
						t.Errorf("%v h%d: %v", d, height, err)
					}
					continue
				}
				// Expected: pool each level with the oracle, flatten per
				// sample, concatenate.
				levels, _ := op.Levels(graph.Shape(d[:]))
				var want []float32
				parts := make([][]float32, len(levels))
				for i, g := range levels {
					p := ref.Pool2D{N: d[0], C: d[1], H: d[2], W: d[3], KH: g.KernelH, KW: g.KernelW,
						StrideH: g.StrideH, StrideW: g.StrideW, PadH: g.PadH, PadW: g.PadW, OutH: g.OutH, OutW: g.OutW}
					if method == graph.PoolMax {
						parts[i], _ = ref.MaxPool(p, x.Data)
					} else {
						parts[i] = ref.AvePool(p, x.Data)
					}
				}
				for s := 0; s < d[0]; s++ {
					for _, part := range parts {
						per := len(part) / d[0]
						want = append(want, part[s*per:(s+1)*per]...)
					}
				}
				if err := coreClose(got[0].Data, want, 1e-5); err != nil {
					t.Errorf("%v %v h%d: %v", d, method, height, err)
				}
			}
		}
	}
}

func TestPoolingRejectsBadTops(t *testing.T) {
	op := &graph.Pool{Method: graph.PoolMax, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: true}
	if _, err := newPooling(coreNode("Pooling", op), []graph.Shape{{1, 1, 4, 4}}, []graph.Shape{{1, 1, 3, 2}}); err == nil {
		t.Error("wrong top shape accepted")
	}
	ave := &graph.Pool{Method: graph.PoolAve, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: true}
	if _, err := newPooling(coreNode("Pooling", ave), []graph.Shape{{1, 1, 4, 4}}, []graph.Shape{{1, 1, 2, 2}, {1, 1, 2, 2}}); err == nil {
		t.Error("mask top accepted for AVE")
	}
}
