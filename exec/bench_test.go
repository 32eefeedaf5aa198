package exec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/exec/internal/gemm"
	"github.com/caffetool/caffetool/exec/internal/ref"
	"github.com/caffetool/caffetool/graph"
)

// benchConvs are convolutions of the zoo nets, batch 1, one per path and
// size class.
var benchConvs = []struct {
	name string
	p    ref.Conv2D
}{
	{"vgg_conv1_2_3x3_64x224", ref.Conv2D{N: 1, In: 64, H: 224, W: 224, Out: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 1}},
	{"resnet_3x3_128x28", ref.Conv2D{N: 1, In: 128, H: 28, W: 28, Out: 128, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 1}},
	{"resnet_1x1_256to64x56", ref.Conv2D{N: 1, In: 256, H: 56, W: 56, Out: 64, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
	{"resnet_1x1_s2_512to1024x28", ref.Conv2D{N: 1, In: 512, H: 28, W: 28, Out: 1024, KH: 1, KW: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 1}},
	{"googlenet_conv1_7x7_s2", ref.Conv2D{N: 1, In: 3, H: 224, W: 224, Out: 64, KH: 7, KW: 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3, DilH: 1, DilW: 1, Group: 1}},
	{"alexnet_conv2_5x5_g2", ref.Conv2D{N: 1, In: 96, H: 27, W: 27, Out: 256, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1, Group: 2}},
	{"mobilenet_dw_3x3_32x112", ref.Conv2D{N: 1, In: 32, H: 112, W: 112, Out: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 32}},
	{"mobilenet_dw_3x3_s2_512x14", ref.Conv2D{N: 1, In: 512, H: 14, W: 14, Out: 512, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Group: 512}},
	{"mobilenet_pw_1x1_64to128x112", ref.Conv2D{N: 1, In: 64, H: 112, W: 112, Out: 128, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
}

// BenchmarkConv times each convolution path on 1 and 2 goroutines and
// reports GFLOP/s (2 FLOPs per multiply-add).
func BenchmarkConv(b *testing.B) {
	for _, c := range benchConvs {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", c.name, threads), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				p := c.p
				op := convOp(p, false, true, false)
				x := coreRand(r, p.N, p.In, p.H, p.W)
				w, bias := coreRand(r, p.Out, p.In/p.Group, p.KH, p.KW), coreRand(r, p.Out)
				out, err := op.InferShapes([]graph.Shape{x.Shape}, 1)
				if err != nil {
					b.Fatal(err)
				}
				l, err := newConvolution(coreNode("Convolution", op, w, bias), []graph.Shape{x.Shape}, out)
				if err != nil {
					b.Fatal(err)
				}
				cl := l.(*convLayer)
				cl.setParallel(newParallel(threads))
				defer setGEMMThreads(threads)()
				y := graph.NewTensor(out[0])
				oh, ow := p.ConvOut()
				macs := float64(p.N*p.Out*oh*ow) * float64(p.In/p.Group*p.KH*p.KW)
				b.ResetTimer()
				for b.Loop() {
					if err := l.Forward([]*graph.Tensor{x}, []*graph.Tensor{y}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(2*macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.Logf("path %v", cl.path)
			})
		}
	}
}

// BenchmarkPool times GoogLeNet's first max pooling (3×3 stride 2, ceil).
func BenchmarkPool(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("max3x3s2_64x112/threads=%d", threads), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			x := coreRand(r, 1, 64, 112, 112)
			op := &graph.Pool{Method: graph.PoolMax, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, CeilMode: true}
			out, err := op.InferShapes([]graph.Shape{x.Shape}, 1)
			if err != nil {
				b.Fatal(err)
			}
			l, err := newPooling(coreNode("Pooling", op), []graph.Shape{x.Shape}, out)
			if err != nil {
				b.Fatal(err)
			}
			l.(threadUser).setParallel(newParallel(threads))
			y := graph.NewTensor(out[0])
			for b.Loop() {
				if err := l.Forward([]*graph.Tensor{x}, []*graph.Tensor{y}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// setGEMMThreads sets the GEMM's goroutine budget, as Net.Forward does,
// and returns the function that restores the default.
func setGEMMThreads(n int) func() {
	gemm.SetThreads(n)
	return func() { gemm.SetThreads(0) }
}
