package exec

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/exec/internal/ref"
	"github.com/caffetool/caffetool/graph"
)

// convCases are odd geometries: prime channel counts, rectangular kernels,
// stride larger than the kernel, dilation 2-3, groups, padding, batch 2.
var convCases = []ref.Conv2D{
	{N: 1, In: 3, H: 7, W: 7, Out: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 1},
	{N: 2, In: 5, H: 11, W: 13, Out: 7, KH: 3, KW: 5, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2, DilH: 1, DilW: 1, Group: 1},
	{N: 2, In: 7, H: 9, W: 8, Out: 3, KH: 2, KW: 1, StrideH: 3, StrideW: 4, PadH: 0, PadW: 0, DilH: 1, DilW: 1, Group: 1},
	{N: 1, In: 3, H: 13, W: 11, Out: 2, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 2, PadW: 3, DilH: 2, DilW: 3, Group: 1},
	{N: 2, In: 6, H: 8, W: 9, Out: 9, KH: 3, KW: 2, StrideH: 1, StrideW: 2, PadH: 1, PadW: 0, DilH: 1, DilW: 2, Group: 3},
	{N: 2, In: 10, H: 5, W: 7, Out: 4, KH: 1, KW: 1, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilH: 1, DilW: 1, Group: 2},
	{N: 1, In: 11, H: 6, W: 6, Out: 13, KH: 1, KW: 1, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, DilH: 1, DilW: 1, Group: 1},
	{N: 2, In: 5, H: 9, W: 9, Out: 5, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 5},
	{N: 1, In: 4, H: 4, W: 17, Out: 6, KH: 4, KW: 7, StrideH: 5, StrideW: 3, PadH: 2, PadW: 1, DilH: 1, DilW: 2, Group: 2},
	{N: 1, In: 2, H: 3, W: 3, Out: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilH: 1, DilW: 1, Group: 1},
}

func convOp(p ref.Conv2D, deconv, bias, forceND bool) *graph.Conv {
	return &graph.Conv{
		Deconv: deconv, NumOutput: p.Out, BiasTerm: bias, Group: p.Group, Axis: 1, ForceND: forceND,
		Kernel: []int{p.KH, p.KW}, Stride: []int{p.StrideH, p.StrideW}, Pad: []int{p.PadH, p.PadW}, Dilation: []int{p.DilH, p.DilW},
	}
}

func caseName(p ref.Conv2D) string {
	return strings.ReplaceAll(fmt.Sprintf("%+v", p), " ", ",")
}

func TestConvolutionMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, p := range convCases {
		for _, bias := range []bool{true, false} {
			for _, nd := range []bool{false, true} {
				x := coreRand(r, p.N, p.In, p.H, p.W)
				w := coreRand(r, p.Out, p.In/p.Group, p.KH, p.KW)
				params := []*graph.Tensor{w}
				var b []float32
				if bias {
					bt := coreRand(r, p.Out)
					params, b = append(params, bt), bt.Data
				}
				got := coreRun(t, "Convolution", convOp(p, false, bias, nd), params, 1, x)
				want := ref.Conv(p, x.Data, w.Data, b)
				if err := coreClose(got[0].Data, want, 1e-4); err != nil {
					t.Errorf("%s bias=%v nd=%v: %v", caseName(p), bias, nd, err)
				}
			}
		}
	}
}

func TestDepthwiseAliases(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	p := ref.Conv2D{N: 2, In: 7, H: 9, W: 8, Out: 7, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 7}
	for _, typ := range []string{"ConvolutionDepthwise", "DepthwiseConvolution"} {
		op := convOp(p, false, true, false)
		op.Depthwise, op.Group = true, 1 // group comes from the input channels
		x, w, b := coreRand(r, 2, 7, 9, 8), coreRand(r, 7, 1, 3, 3), coreRand(r, 7)
		got := coreRun(t, typ, op, []*graph.Tensor{w, b}, 1, x)
		if err := coreClose(got[0].Data, ref.Conv(p, x.Data, w.Data, b.Data), 1e-4); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
}

// Two bottoms share the weights, one top each (Caffe's multi-bottom conv).
func TestConvolutionTwoBottoms(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	p := convCases[1]
	x1, x2 := coreRand(r, p.N, p.In, p.H, p.W), coreRand(r, p.N, p.In, p.H, p.W)
	w, b := coreRand(r, p.Out, p.In, p.KH, p.KW), coreRand(r, p.Out)
	got := coreRun(t, "Convolution", convOp(p, false, true, false), []*graph.Tensor{w, b}, 2, x1, x2)
	for i, x := range []*graph.Tensor{x1, x2} {
		if err := coreClose(got[i].Data, ref.Conv(p, x.Data, w.Data, b.Data), 1e-4); err != nil {
			t.Errorf("top %d: %v", i, err)
		}
	}
}

// A 3-D convolution against a direct loop written here (the 2-D oracle
// does not cover N-D), with the channel axis after a leading batch axis.
func TestConvolution3D(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	const n, c, o, d, h, w = 2, 3, 4, 5, 6, 7
	k := [3]int{3, 2, 3}
	s := [3]int{1, 2, 2}
	pd := [3]int{1, 0, 1}
	dl := [3]int{1, 1, 2}
	op := &graph.Conv{NumOutput: o, BiasTerm: true, Group: 1, Axis: 1, Kernel: k[:], Stride: s[:], Pad: pd[:], Dilation: dl[:]}
	x, wt, b := coreRand(r, n, c, d, h, w), coreRand(r, o, c, k[0], k[1], k[2]), coreRand(r, o)
	got := coreRun(t, "Convolution", op, []*graph.Tensor{wt, b}, 1, x)[0]
	in := [3]int{d, h, w}
	var out [3]int
	for i := range out {
		out[i] = (in[i]+2*pd[i]-(dl[i]*(k[i]-1)+1))/s[i] + 1
	}
	if !got.Shape.Equal(graph.Shape{n, o, out[0], out[1], out[2]}) {
		t.Fatalf("shape %v", got.Shape)
	}
	want := make([]float32, len(got.Data))
	i := 0
	for nn := 0; nn < n; nn++ {
		for oo := 0; oo < o; oo++ {
			for z := 0; z < out[0]; z++ {
				for y := 0; y < out[1]; y++ {
					for xx := 0; xx < out[2]; xx++ {
						acc := float64(b.Data[oo])
						for cc := 0; cc < c; cc++ {
							for a := 0; a < k[0]; a++ {
								for bb := 0; bb < k[1]; bb++ {
									for e := 0; e < k[2]; e++ {
										pz, py, px := z*s[0]-pd[0]+a*dl[0], y*s[1]-pd[1]+bb*dl[1], xx*s[2]-pd[2]+e*dl[2]
										if pz < 0 || pz >= d || py < 0 || py >= h || px < 0 || px >= w {
											continue
										}
										acc += float64(x.Data[(((nn*c+cc)*d+pz)*h+py)*w+px]) *
											float64(wt.Data[(((oo*c+cc)*k[0]+a)*k[1]+bb)*k[2]+e])
									}
								}
							}
						}
						want[i] = float32(acc)
						i++
					}
				}
			}
		}
	}
	if err := coreClose(got.Data, want, 1e-4); err != nil {
		t.Fatal(err)
	}
}

func TestDeconvolutionMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, p := range convCases {
		if oh, ow := p.DeconvOut(); oh <= 0 || ow <= 0 {
			continue
		}
		for _, bias := range []bool{true, false} {
			for _, nd := range []bool{false, true} {
				x := coreRand(r, p.N, p.In, p.H, p.W)
				w := coreRand(r, p.In, p.Out/p.Group, p.KH, p.KW)
				params := []*graph.Tensor{w}
				var b []float32
				if bias {
					bt := coreRand(r, p.Out)
					params, b = append(params, bt), bt.Data
				}
				got := coreRun(t, "Deconvolution", convOp(p, true, bias, nd), params, 1, x)
				want := ref.Deconv(p, x.Data, w.Data, b)
				if err := coreClose(got[0].Data, want, 1e-4); err != nil {
					t.Errorf("%s bias=%v nd=%v: %v", caseName(p), bias, nd, err)
				}
			}
		}
	}
}

func TestIm2colLayer(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	// Im2col then a 1x1 convolution with the flattened weights equals the
	// convolution itself.
	p := convCases[3]
	x := coreRand(r, p.N, p.In, p.H, p.W)
	w := coreRand(r, p.Out, p.In, p.KH, p.KW)
	cols := coreRun(t, "Im2col", &graph.Im2col{Conv: *convOp(p, false, false, false)}, nil, 1, x)[0]
	if want := p.In * p.KH * p.KW; cols.Shape[1] != want {
		t.Fatalf("im2col shape %v, want %d channels", cols.Shape, want)
	}
	one := ref.Conv2D{N: p.N, In: cols.Shape[1], H: cols.Shape[2], W: cols.Shape[3], Out: p.Out, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}
	got := ref.Conv(one, cols.Data, w.Data, nil)
	if err := coreClose(got, ref.Conv(p, x.Data, w.Data, nil), 1e-4); err != nil {
		t.Fatal(err)
	}
}

func TestConvolutionErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	p := convCases[0]
	x := coreRand(r, p.N, p.In, p.H, p.W)
	// Wrong weight count.
	_, err := coreRunErr("Convolution", convOp(p, false, false, false), []*graph.Tensor{coreRand(r, p.Out, p.In, 2, 2)}, 1, x)
	if err == nil || !strings.Contains(err.Error(), "param[0]") {
		t.Errorf("bad weight count: err = %v", err)
	}
	// Missing bias.
	_, err = coreRunErr("Convolution", convOp(p, false, true, false), []*graph.Tensor{coreRand(r, p.Out, p.In, 3, 3)}, 1, x)
	if err == nil || !strings.Contains(err.Error(), "param[1]") {
		t.Errorf("missing bias: err = %v", err)
	}
	// Tensors that do not match the prepared shapes fail, not panic.
	op := convOp(p, false, false, false)
	l, err := newConvolution(coreNode("Convolution", op, coreRand(r, p.Out, p.In, 3, 3)),
		[]graph.Shape{{1, 3, 7, 7}}, []graph.Shape{{1, 5, 7, 7}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Forward([]*graph.Tensor{coreRand(r, 1, 3, 5, 5)}, []*graph.Tensor{graph.NewTensor(graph.Shape{1, 5, 7, 7})}); err == nil {
		t.Error("short bottom accepted")
	}
	// A top shape that disagrees with the geometry is refused.
	if _, err := newConvolution(coreNode("Convolution", op, coreRand(r, p.Out, p.In, 3, 3)),
		[]graph.Shape{{1, 3, 7, 7}}, []graph.Shape{{1, 5, 6, 7}}); err == nil {
		t.Error("inconsistent top shape accepted")
	}
}
