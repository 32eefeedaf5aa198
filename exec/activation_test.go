package exec

import (
	"math"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

func TestUnaryActivations(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name string
		typ  string
		op   graph.Op
		in   []float32
		want []float32
	}{
		{"relu", "ReLU", &graph.ReLU{}, []float32{-2, -0.5, 0, 1.5, 3}, []float32{0, 0, 0, 1.5, 3}},
		{"leaky", "ReLU", &graph.ReLU{NegativeSlope: 0.1}, []float32{-2, -0.5, 0, 1.5, 3}, []float32{-0.2, -0.05, 0, 1.5, 3}},
		{"relu6", "ReLU6", &graph.ReLU6{}, []float32{-1, 3, 6, 7}, []float32{0, 3, 6, 6}},
		{"elu", "ELU", &graph.ELU{Alpha: 0.5}, []float32{-1, 0, 2}, []float32{-0.31606028, 0, 2}},
		{"sigmoid", "Sigmoid", &graph.Sigmoid{}, []float32{0, 2, -2, 100, -100}, []float32{0.5, 0.880797078, 0.119202922, 1, 0}},
		{"tanh", "TanH", &graph.TanH{}, []float32{1, -1, 0}, []float32{0.761594156, -0.761594156, 0}},
		{"absval", "AbsVal", &graph.AbsVal{}, []float32{-3, 0, 2.5}, []float32{3, 0, 2.5}},
		// BNLL stays finite where a naive log(1+e^x) would overflow.
		{"bnll", "BNLL", &graph.BNLL{}, []float32{0, 2, -2, 100, -100}, []float32{0.693147181, 2.126928011, 0.126928011, 100, 3.720076e-44}},
		{"power", "Power", &graph.Power{Power: 2, Scale: 0.5, Shift: 1}, []float32{2, -4, 0}, []float32{4, 1, 1}},
		{"power sqrt of negative", "Power", &graph.Power{Power: 0.5, Scale: 1}, []float32{4, -1}, []float32{2, nan}},
		{"power 0", "Power", &graph.Power{Power: 0, Scale: 3, Shift: -2}, []float32{5, -7}, []float32{1, 1}},
		{"power scale 0", "Power", &graph.Power{Power: 2, Scale: 0, Shift: 3}, []float32{5, -7}, []float32{9, 9}},
		{"exp base 2", "Exp", &graph.Exp{Base: 2, Scale: 0.5, Shift: 0.1}, []float32{2, 0}, []float32{2.143546925, 1.071773463}},
		{"exp base e", "Exp", &graph.Exp{Base: -1, Scale: 1}, []float32{1, 0}, []float32{2.718281828, 1}},
		{"log base 10", "Log", &graph.Log{Base: 10, Scale: 2, Shift: 0.5}, []float32{4.75, 0}, []float32{1, -0.301029996}},
		{"log base e", "Log", &graph.Log{Base: -1, Scale: 1}, []float32{2.718281828, -1}, []float32{1, nan}},
		{"threshold", "Threshold", &graph.Threshold{Threshold: 0.3}, []float32{0.3, 0.31, -1}, []float32{0, 1, 0}},
		{"swish", "Swish", &graph.Swish{Beta: 1}, []float32{1, 0}, []float32{0.731058579, 0}},
		{"swish beta 2", "Swish", &graph.Swish{Beta: 2}, []float32{-1}, []float32{-0.119202922}},
		// std::max(min, std::min(x, max)): NaN becomes min.
		{"clip", "Clip", &graph.Clip{Min: -1, Max: 2}, []float32{-5, 0.5, 5, nan}, []float32{-1, 0.5, 2, -1}},
		// Caffe does not check min < max; the result is then min.
		{"clip min above max", "Clip", &graph.Clip{Min: 3, Max: 1}, []float32{0, 9}, []float32{3, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Odd-sized 2-D and 1-D blobs: the layers do not care about rank.
			x := xT(graph.Shape{1, len(c.in)}, c.in...)
			got := xRun(t, c.typ, c.op, nil, x)
			xNear(t, c.name, got.Data, c.want, 1e-6)
			if !got.Shape.Equal(x.Shape) {
				t.Fatalf("shape %v", got.Shape)
			}
		})
	}
}

func TestUnaryErrors(t *testing.T) {
	x := xT(graph.Shape{3}, 1, 2, 3)
	xWantErr(t, "exp base 0", "Exp", &graph.Exp{Base: 0, Scale: 1}, nil, []*graph.Tensor{x}, "base")
	xWantErr(t, "log base -2", "Log", &graph.Log{Base: -2, Scale: 1}, nil, []*graph.Tensor{x}, "base")
	xWantErr(t, "two bottoms", "ReLU", &graph.ReLU{}, nil, []*graph.Tensor{x, x}, "bottom")
	// The wrong op for the type string.
	xWantErr(t, "wrong op", "ReLU", &graph.TanH{}, nil, []*graph.Tensor{x}, "op is")

	// Forward refuses tensors of another size than prepared for.
	l, _, err := xBuild("ReLU", &graph.ReLU{}, nil, 1, []graph.Shape{{3}})
	if err != nil {
		t.Fatal(err)
	}
	err = l.Forward([]*graph.Tensor{xT(graph.Shape{2}, 1, 2)}, []*graph.Tensor{graph.NewTensor(graph.Shape{3})})
	if err == nil {
		t.Fatal("no error for a short bottom")
	}
	err = l.Forward([]*graph.Tensor{x}, nil)
	if err == nil {
		t.Fatal("no error without tops")
	}
}

func TestPReLU(t *testing.T) {
	// 2-D N×C: channel is axis 1, one value per channel.
	x := xT(graph.Shape{2, 3}, -1, -1, -1, 2, -2, -10)
	slopes := xT(graph.Shape{3}, 0.1, 0.2, 0.3)
	got := xRun(t, "PReLU", &graph.PReLU{}, []*graph.Tensor{slopes}, x)
	xNear(t, "2-D", got.Data, []float32{-0.1, -0.2, -0.3, 2, -0.4, -3}, 1e-7)

	// 4-D with odd spatial size 1x3.
	x = xT(graph.Shape{1, 2, 1, 3}, -1, 2, -3, -4, 5, -6)
	got = xRun(t, "PReLU", &graph.PReLU{}, []*graph.Tensor{xT(graph.Shape{2}, 0.5, 0.25)}, x)
	xNear(t, "4-D", got.Data, []float32{-0.5, 2, -1.5, -1, 5, -1.5}, 1e-7)

	// channel_shared: one slope stored as a 0-axis blob.
	shared := xT(graph.Shape{}, 0.5)
	got = xRun(t, "PReLU", &graph.PReLU{ChannelShared: true}, []*graph.Tensor{shared}, x)
	xNear(t, "shared", got.Data, []float32{-0.5, 2, -1.5, -2, 5, -3}, 1e-7)

	xWantErr(t, "slope count", "PReLU", &graph.PReLU{}, []*graph.Tensor{xT(graph.Shape{3}, 1, 2, 3)}, []*graph.Tensor{x}, "blobs[0]")
	xWantErr(t, "no slope", "PReLU", &graph.PReLU{}, nil, []*graph.Tensor{x}, "blobs[0]", "missing")
	xWantErr(t, "1-D", "PReLU", &graph.PReLU{ChannelShared: true}, []*graph.Tensor{shared}, []*graph.Tensor{xT(graph.Shape{2}, 1, 2)}, "2 axes")
}
