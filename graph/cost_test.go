package graph

import (
	"strings"
	"testing"
)

// costOf builds Input(s) -> op and returns the op node's cost.
func costOf(t *testing.T, op Op, nTops int, in ...Shape) Cost {
	t.Helper()
	g := New("cost")
	var bottoms []string
	for i, s := range in {
		name := string(rune('a' + i))
		add(t, g, name, &Input{Shapes: []Shape{s}}, nil, strs(name))
		bottoms = append(bottoms, name)
	}
	var tops []string
	for i := 0; i < nTops; i++ {
		tops = append(tops, "top"+string(rune('0'+i)))
	}
	n := add(t, g, "op", op, bottoms, tops)
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	c, err := NodeCost(n)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNodeCost(t *testing.T) {
	depthwise := &Conv{Depthwise: true, NumOutput: 6, BiasTerm: true, Kernel: ints(3), Pad: ints(1), Axis: 1}
	cases := []struct {
		name  string
		op    Op
		nTops int
		in    []Shape
		want  Cost
	}{
		// 1x4x7x7, group 2, 6 outputs, 3x3 pad 1: 9 * (4/2) * 6 * 49 = 5292;
		// params 6*2*9 + 6 = 114; output 6*49 floats
		{"conv_group2", conv(6, ints(3), nil, ints(1), nil, 2), 1, shapes(sh(1, 4, 7, 7)),
			Cost{MACs: 5292, Params: 114, OutputBytes: 4 * 294}},
		// depthwise 1x6x9x9: 9 * 1 * 6 * 81 = 4374; params 6*1*9 + 6 = 60
		{"conv_depthwise", depthwise, 1, shapes(sh(1, 6, 9, 9)),
			Cost{MACs: 4374, Params: 60, OutputBytes: 4 * 486}},
		// dilated 1x3x11x11 -> 1x4x6x6: 9 * 3 * 4 * 36 = 3888; params 4*3*9 + 4 = 112
		{"conv_dilated", conv(4, ints(3), ints(2), ints(2), ints(2), 1), 1, shapes(sh(1, 3, 11, 11)),
			Cost{MACs: 3888, Params: 112, OutputBytes: 4 * 144}},
		// batch 2 doubles the MACs: 2 * 9*3*4*49
		{"conv_batch2", conv(4, ints(3), nil, ints(1), nil, 1), 1, shapes(sh(2, 3, 7, 7)),
			Cost{MACs: 10584, Params: 112, OutputBytes: 4 * 392}},
		// deconv 1x4x5x5, group 2, 6 outputs, 3x3 s2 -> 11x11:
		// 9 * (6/2) * 4 * 25 = 2700; params 4*3*9 + 6 = 114
		{"deconv_group2", &Conv{Deconv: true, NumOutput: 6, BiasTerm: true, Kernel: ints(3), Stride: ints(2), Group: 2, Axis: 1}, 1,
			shapes(sh(1, 4, 5, 5)), Cost{MACs: 2700, Params: 114, OutputBytes: 4 * 726}},
		// two bottoms run the convolution twice; two tops
		{"conv_two_bottoms", conv(4, ints(3), nil, ints(1), nil, 1), 2, shapes(sh(1, 3, 7, 7), sh(1, 3, 7, 7)),
			Cost{MACs: 10584, Params: 112, OutputBytes: 2 * 4 * 196}},
		// 2x3x5x5 -> 6: K 75 * 6 * M 2 = 900; params 450 + 6
		{"inner_product", &InnerProduct{NumOutput: 6, BiasTerm: true, Axis: 1}, 1, shapes(sh(2, 3, 5, 5)),
			Cost{MACs: 900, Params: 456, OutputBytes: 4 * 12}},
		// 1x3x5x5 k3 s3 p1 -> 1x3x2x2: 9 * 12 = 108
		{"pool", pool(PoolMax, 3, 3, 1), 1, shapes(sh(1, 3, 5, 5)), Cost{MACs: 108, OutputBytes: 4 * 12}},
		// global 7x9 kernel over 2x4 outputs: 63 * 8 = 504
		{"pool_global", &Pool{Method: PoolAve, Global: true, StrideH: 1, StrideW: 1, CeilMode: true}, 1, shapes(sh(2, 4, 7, 9)),
			Cost{MACs: 504, OutputBytes: 4 * 8}},
		// 3 bottoms: 2 * 75
		{"eltwise", &Eltwise{Operation: EltwiseSum}, 1, shapes(sh(1, 3, 5, 5), sh(1, 3, 5, 5), sh(1, 3, 5, 5)),
			Cost{MACs: 150, OutputBytes: 4 * 75}},
		{"lrn_across", &LRN{LocalSize: 5}, 1, shapes(sh(2, 7, 5, 5)), Cost{MACs: 1750, OutputBytes: 4 * 350}},
		{"lrn_within", &LRN{LocalSize: 3, Region: WithinChannel}, 1, shapes(sh(1, 3, 7, 7)), Cost{MACs: 1323, OutputBytes: 4 * 147}},
		{"softmax", &Softmax{Axis: 1}, 1, shapes(sh(2, 10)), Cost{MACs: 20, OutputBytes: 80}},
		{"batchnorm", &BatchNorm{}, 1, shapes(sh(2, 4, 5, 5)), Cost{MACs: 200, Params: 9, OutputBytes: 800}},
		{"scale_bias", &Scale{Axis: 1, NumAxes: 1, BiasTerm: true}, 1, shapes(sh(2, 4, 5, 5)), Cost{MACs: 200, Params: 8, OutputBytes: 800}},
		{"relu", &ReLU{}, 1, shapes(sh(2, 4, 5, 5)), Cost{OutputBytes: 800}},
		{"silence", &Silence{}, 0, shapes(sh(2, 4, 5, 5)), Cost{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := costOf(t, c.op, c.nTops, c.in...); got != c.want {
				t.Fatalf("cost = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestGraphCostsTotalAndSharing(t *testing.T) {
	g := New("siamese")
	add(t, g, "a", &Input{Shapes: []Shape{{1, 3, 7, 7}}}, nil, strs("a"))
	add(t, g, "b", &Input{Shapes: []Shape{{1, 3, 7, 7}}}, nil, strs("b"))
	ca := add(t, g, "conv_a", conv(4, ints(3), nil, ints(1), nil, 1), strs("a"), strs("conv_a"))
	cb := add(t, g, "conv_b", conv(4, ints(3), nil, ints(1), nil, 1), strs("b"), strs("conv_b"))
	// conformance shared_weights_conv: the weight is shared, the biases are not
	ca.ParamSpecs = []ParamSpec{{Name: "w", LrMult: 1}, {LrMult: 2}}
	cb.ParamSpecs = []ParamSpec{{Name: "w", LrMult: 1}, {LrMult: 2}}
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	per, total, err := g.Costs()
	if err != nil {
		t.Fatal(err)
	}
	if len(per) != 4 || per[2].Params != 112 || per[3].Params != 112 {
		t.Fatalf("per-node costs = %+v", per)
	}
	// MACs 2 * 9*3*4*49; params 108 (shared weight once) + 4 + 4;
	// outputs 2 inputs of 147 + 2 convs of 196 floats
	want := Cost{MACs: 10584, Params: 116, OutputBytes: 4 * (147*2 + 196*2)}
	if total != want {
		t.Fatalf("total = %+v, want %+v", total, want)
	}
}

func TestCostNeedsShapes(t *testing.T) {
	g := smallNet(t)
	if _, err := NodeCost(g.Node("conv1")); err == nil || !strings.Contains(err.Error(), "run InferShapes first") {
		t.Fatalf("err = %v", err)
	}
}
