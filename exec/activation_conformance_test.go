package exec

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

// Single-layer conformance cases computed by real Caffe
// ($CAFFETOOL_SHARED/conformance/layers, see its README), run directly
// through the factories of this package's second registry section. The ops
// mirror each case's net.prototxt; parameter blobs are read from its
// weights.caffemodel.

type xCase struct {
	dir    string
	typ    string
	op     graph.Op
	ins    []string // input blobs, bottom order
	out    string   // output blob
	params string   // layer name in weights.caffemodel ("" = none)
	exact  bool
}

func xCases() []xCase {
	one := func(dir, typ string, op graph.Op) xCase {
		return xCase{dir: dir, typ: typ, op: op, ins: []string{"data"}, out: "out"}
	}
	withParams := func(c xCase, layer string) xCase { c.params = layer; return c }
	withIns := func(c xCase, ins ...string) xCase { c.ins = ins; return c }
	exact := func(c xCase) xCase { c.exact = true; return c }
	prob := func(c xCase) xCase { c.out = "prob"; return c }
	return []xCase{
		one("absval", "AbsVal", &graph.AbsVal{}),
		one("argmax_axis1_maxval", "ArgMax", &graph.ArgMax{OutMaxVal: true, TopK: 1, HasAxis: true, Axis: 1}),
		exact(one("argmax_axis1_top2", "ArgMax", &graph.ArgMax{TopK: 2, HasAxis: true, Axis: 1})),
		exact(one("argmax_top2_maxval", "ArgMax", &graph.ArgMax{TopK: 2, OutMaxVal: true})),
		withParams(one("batchnorm_2d_input", "BatchNorm", &graph.BatchNorm{UseGlobalStats: true, Eps: 1e-5, MovingAverageFraction: 0.999}), "bn"),
		withParams(one("batchnorm_batch_stats", "BatchNorm", &graph.BatchNorm{Eps: 1e-5, MovingAverageFraction: 0.999}), "bn"),
		withParams(one("batchnorm_eps1e-3_default_stats", "BatchNorm", &graph.BatchNorm{UseGlobalStats: true, Eps: 1e-3, MovingAverageFraction: 0.999}), "bn"),
		withParams(one("batchnorm_global_s0.8_eps1e-5", "BatchNorm", &graph.BatchNorm{UseGlobalStats: true, Eps: 1e-5, MovingAverageFraction: 0.999}), "bn"),
		withParams(one("batchnorm_scale_factor_zero", "BatchNorm", &graph.BatchNorm{UseGlobalStats: true, Eps: 1e-3, MovingAverageFraction: 0.999}), "bn"),
		withParams(one("bias_one_bottom", "Bias", &graph.Bias{Axis: 1, NumAxes: 1}), "bias"),
		withIns(one("bias_two_bottoms", "Bias", &graph.Bias{Axis: 1, NumAxes: 1}), "data", "b"),
		one("bnll", "BNLL", &graph.BNLL{}),
		one("clip", "Clip", &graph.Clip{Min: -0.4, Max: 0.6}),
		withIns(one("eltwise_max_3bottoms", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseMax}), "a", "b", "c"),
		withIns(one("eltwise_prod", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseProd}), "a", "b"),
		withIns(one("eltwise_sum", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}), "a", "b"),
		withIns(one("eltwise_sum_coeff", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum, Coeff: []float32{1, -0.5}}), "a", "b"),
		withIns(one("two_inputs_eltwise", "Eltwise", &graph.Eltwise{Operation: graph.EltwiseSum}), "x", "y"),
		one("elu_alpha0.7", "ELU", &graph.ELU{Alpha: 0.7}),
		withParams(one("embed", "Embed", &graph.Embed{InputDim: 10, NumOutput: 4, BiasTerm: true}), "embed"),
		one("exp_base2_s0.5_sh0.1", "Exp", &graph.Exp{Base: 2, Scale: 0.5, Shift: 0.1}),
		one("exp_base_e", "Exp", &graph.Exp{Base: -1, Scale: 1}),
		one("log_base10_s2_sh0.5", "Log", &graph.Log{Base: 10, Scale: 2, Shift: 0.5}),
		one("log_base_e", "Log", &graph.Log{Base: -1, Scale: 1}),
		one("lrn_across_channels", "LRN", &graph.LRN{LocalSize: 5, Alpha: 0.1, Beta: 0.75, K: 2, Region: graph.AcrossChannels}),
		one("lrn_within_channel", "LRN", &graph.LRN{LocalSize: 3, Alpha: 0.1, Beta: 0.75, K: 1, Region: graph.WithinChannel}),
		one("mvn_across_channels", "MVN", &graph.MVN{NormalizeVariance: true, AcrossChannels: true, Eps: 1e-9}),
		one("mvn_default", "MVN", &graph.MVN{NormalizeVariance: true, Eps: 1e-9}),
		one("mvn_no_variance", "MVN", &graph.MVN{Eps: 1e-9}),
		one("power_p2_s0.5_sh1", "Power", &graph.Power{Power: 2, Scale: 0.5, Shift: 1}),
		withParams(one("prelu_channel_shared", "PReLU", &graph.PReLU{ChannelShared: true}), "prelu"),
		withParams(one("prelu_per_channel", "PReLU", &graph.PReLU{}), "prelu"),
		{dir: "reduction_all_ops", typ: "Reduction", op: &graph.Reduction{Operation: graph.ReduceSum, Axis: 1, Coeff: 2}, ins: []string{"data"}, out: "sum"},
		{dir: "reduction_all_ops", typ: "Reduction", op: &graph.Reduction{Operation: graph.ReduceAsum, Axis: 1, Coeff: 2}, ins: []string{"data"}, out: "asum"},
		{dir: "reduction_all_ops", typ: "Reduction", op: &graph.Reduction{Operation: graph.ReduceSumSq, Axis: 1, Coeff: 2}, ins: []string{"data"}, out: "sumsq"},
		{dir: "reduction_all_ops", typ: "Reduction", op: &graph.Reduction{Operation: graph.ReduceMean, Axis: 1, Coeff: 2}, ins: []string{"data"}, out: "mean"},
		{dir: "reduction_all_ops", typ: "Reduction", op: &graph.Reduction{Operation: graph.ReduceSum, Axis: 0, Coeff: 1}, ins: []string{"data"}, out: "sum_all"},
		one("relu", "ReLU", &graph.ReLU{}),
		one("relu_leaky_0.1", "ReLU", &graph.ReLU{NegativeSlope: 0.1}),
		withParams(one("scale_axis1_num_axes1", "Scale", &graph.Scale{Axis: 1, NumAxes: 1, BiasTerm: true}), "scale"),
		withParams(one("scale_bias_term", "Scale", &graph.Scale{Axis: 1, NumAxes: 1, BiasTerm: true}), "scale"),
		withParams(one("scale_no_bias", "Scale", &graph.Scale{Axis: 1, NumAxes: 1}), "scale"),
		withParams(one("scale_num_axes2", "Scale", &graph.Scale{Axis: 1, NumAxes: 2}), "scale"),
		withIns(one("scale_two_bottoms", "Scale", &graph.Scale{Axis: 0, NumAxes: 1}), "data", "s"),
		withParams(withIns(one("scale_two_bottoms_bias", "Scale", &graph.Scale{Axis: 1, NumAxes: 1, BiasTerm: true}), "data", "s"), "scale"),
		one("sigmoid", "Sigmoid", &graph.Sigmoid{}),
		prob(one("softmax_2d", "Softmax", &graph.Softmax{Axis: 1})),
		prob(one("softmax_axis1", "Softmax", &graph.Softmax{Axis: 1})),
		prob(one("softmax_axis2", "Softmax", &graph.Softmax{Axis: 2})),
		one("swish", "Swish", &graph.Swish{Beta: 1}),
		one("swish_beta1.5", "Swish", &graph.Swish{Beta: 1.5}),
		one("tanh", "TanH", &graph.TanH{}),
		exact(one("threshold_0.3", "Threshold", &graph.Threshold{Threshold: 0.3})),
	}
}

// xConform applies the conformance README's rule: with r = |got-ref| /
// max(1, |ref|), mean(r) <= 1e-5 and max(r) <= 1e-4, or bit equality for
// exact blobs.
func xConform(t *testing.T, what string, got, want *graph.Tensor, exact bool) {
	t.Helper()
	if !got.Shape.Equal(want.Shape) {
		t.Fatalf("%s: shape %v, Caffe %v", what, got.Shape, want.Shape)
	}
	var sum, worst float64
	at := -1
	for i := range want.Data {
		g, w := float64(got.Data[i]), float64(want.Data[i])
		if exact {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("%s: [%d] = %v, Caffe %v (must match exactly)", what, i, got.Data[i], want.Data[i])
			}
			continue
		}
		r := math.Abs(g-w) / math.Max(1, math.Abs(w))
		if math.IsNaN(r) {
			r = math.Inf(1)
		}
		sum += r
		if r > worst {
			worst, at = r, i
		}
	}
	if exact || len(want.Data) == 0 {
		return
	}
	if mean := sum / float64(len(want.Data)); mean > 1e-5 || worst > 1e-4 {
		t.Fatalf("%s: mean rel err %.3g, max %.3g at [%d] (got %v, Caffe %v)", what, mean, worst, at, got.Data[at], want.Data[at])
	}
}

func xSharedLayers(t *testing.T) string {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("CAFFETOOL_SHARED not set; Caffe conformance cases skipped")
	}
	return filepath.Join(root, "conformance", "layers")
}

func TestCaffeConformanceOtherLayers(t *testing.T) {
	root := xSharedLayers(t)
	for _, c := range xCases() {
		t.Run(c.dir+"/"+c.out, func(t *testing.T) {
			dir := filepath.Join(root, c.dir)
			var ins []*graph.Tensor
			for _, name := range c.ins {
				x, err := npy.Read(filepath.Join(dir, "inputs", name+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				ins = append(ins, x)
			}
			want, err := npy.Read(filepath.Join(dir, "outputs", c.out+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			var params []*graph.Tensor
			if c.params != "" {
				b, err := os.ReadFile(filepath.Join(dir, "weights.caffemodel"))
				if err != nil {
					t.Fatal(err)
				}
				blobs := caffemodelBlobs(t, b)[c.params]
				if len(blobs) == 0 {
					t.Fatalf("no blobs for layer %q in weights.caffemodel", c.params)
				}
				for _, d := range blobs {
					params = append(params, &graph.Tensor{Shape: graph.Shape{len(d)}, Data: d})
				}
			}
			got := xRun(t, c.typ, c.op, params, ins...)
			xConform(t, c.dir+" "+c.out, got, want, c.exact)
		})
	}
}
