package exec

import (
	"math"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

func TestBatchNormGlobalStats(t *testing.T) {
	// N=1, C=2, spatial 3 (a 3-axis blob). Stored blobs are mean·s, var·s, s
	// with s = 0.5: mean (1, -1), var (4, 0.25).
	x := xT(graph.Shape{1, 2, 3}, 1, 3, 5, -1, 0, 1)
	params := []*graph.Tensor{xT(graph.Shape{2}, 0.5, -0.5), xT(graph.Shape{2}, 2, 0.125), xT(graph.Shape{1}, 0.5)}
	got := xRun(t, "BatchNorm", &graph.BatchNorm{UseGlobalStats: true}, params, x)
	xNear(t, "global", got.Data, []float32{0, 1, 2, 0, 2, 4}, 1e-6)

	// eps goes under the square root: var 4 + eps 5 = 9.
	got = xRun(t, "BatchNorm", &graph.BatchNorm{UseGlobalStats: true, Eps: 5}, params, x)
	xNear(t, "eps", got.Data, []float32{0, 2.0 / 3, 4.0 / 3, 0, 1 / 2.2912878, 2 / 2.2912878}, 1e-6)

	// Scale factor 0 means factor 0 (mean = var = 0), not 1/0.
	params[2] = xT(graph.Shape{1}, 0)
	got = xRun(t, "BatchNorm", &graph.BatchNorm{UseGlobalStats: true, Eps: 0.25}, params, x)
	xNear(t, "s=0", got.Data, []float32{2, 6, 10, -2, 0, 2}, 1e-6)
}

func TestBatchNormBatchStats(t *testing.T) {
	// N=2, C=2, spatial 2; statistics per channel over N×spatial, biased.
	// c0: {1,3,5,7} mean 4 var 5; c1: {0,0,2,-2} mean 0 var 2.
	x := xT(graph.Shape{2, 2, 2}, 1, 3, 0, 0, 5, 7, 2, -2)
	got := xRun(t, "BatchNorm", &graph.BatchNorm{Eps: 1}, nil, x)
	r6, r3 := float32(math.Sqrt(6)), float32(math.Sqrt(3))
	xNear(t, "batch", got.Data, []float32{-3 / r6, -1 / r6, 0, 0, 1 / r6, 3 / r6, 2 / r3, -2 / r3}, 1e-6)

	// 2-D N×C: spatial size 1.
	x = xT(graph.Shape{2, 2}, 1, 10, 3, 20)
	got = xRun(t, "BatchNorm", &graph.BatchNorm{}, nil, x)
	xNear(t, "2-D", got.Data, []float32{-1, -1, 1, 1}, 1e-6)

	// Stored blobs are not read (and may be absent) without global stats,
	// and running twice gives the same result (blobs are not updated).
	got2 := xRun(t, "BatchNorm", &graph.BatchNorm{}, nil, x)
	xNear(t, "repeat", got2.Data, got.Data, 0)
}

func TestBatchNormErrors(t *testing.T) {
	x := xT(graph.Shape{1, 2}, 1, 2)
	good := []*graph.Tensor{xT(graph.Shape{2}, 0, 0), xT(graph.Shape{2}, 1, 1), xT(graph.Shape{1}, 1)}
	op := &graph.BatchNorm{UseGlobalStats: true}
	xWantErr(t, "missing blobs", "BatchNorm", op, good[:2], []*graph.Tensor{x}, "blobs[2]")
	bad := []*graph.Tensor{good[0], xT(graph.Shape{3}, 1, 1, 1), good[2]}
	xWantErr(t, "wrong variance size", "BatchNorm", op, bad, []*graph.Tensor{x}, "blobs[1]")
	bad = []*graph.Tensor{good[0], good[1], nil}
	xWantErr(t, "unloaded blob", "BatchNorm", op, bad, []*graph.Tensor{x}, "blobs[2]")
}

func TestLRNAcrossChannels(t *testing.T) {
	// C=3, 1x1: scale_c = k + α/n·Σ over channels c-1..c+1 (zero padded).
	x := xT(graph.Shape{1, 3, 1, 1}, 1, 2, 3)
	got := xRun(t, "LRN", &graph.LRN{LocalSize: 3, Alpha: 3, Beta: 1, K: 1}, nil, x)
	xNear(t, "beta 1", got.Data, []float32{1.0 / 6, 2.0 / 15, 3.0 / 14}, 1e-6)
	got = xRun(t, "LRN", &graph.LRN{LocalSize: 3, Alpha: 3, Beta: 0.5, K: 2}, nil, x)
	xNear(t, "beta 0.5", got.Data, []float32{float32(1 / math.Sqrt(7)), float32(2 / math.Sqrt(16)), float32(3 / math.Sqrt(15))}, 1e-6)

	// local_size 5 wider than the 2 channels, two samples, spatial 1x2.
	x = xT(graph.Shape{2, 2, 1, 2}, 1, 2, 3, 4, 0, 1, 1, 0)
	got = xRun(t, "LRN", &graph.LRN{LocalSize: 5, Alpha: 5, Beta: 1, K: 0}, nil, x)
	// n0: position 0 sums 1+9=10, position 1 sums 4+16=20 (both channels see both).
	xNear(t, "wide", got.Data, []float32{0.1, 0.1, 0.3, 0.2, 0, 1, 1, 0}, 1e-6)
}

func TestLRNWithinChannel(t *testing.T) {
	// 3x3 kernel, pad 1, divisor 9 everywhere (padding counts); with α = 9
	// the scale is 1 + Σ x² over the window. k must be ignored.
	x := xT(graph.Shape{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	got := xRun(t, "LRN", &graph.LRN{LocalSize: 3, Alpha: 9, Beta: 1, K: 100, Region: graph.WithinChannel}, nil, x)
	want := []float32{1.0 / 47, 2.0 / 92, 3.0 / 75, 4.0 / 160, 5.0 / 286, 6.0 / 220, 7.0 / 155, 8.0 / 272, 9.0 / 207}
	xNear(t, "within", got.Data, want, 1e-6)

	xWantErr(t, "even size", "LRN", &graph.LRN{LocalSize: 4, Alpha: 1, Beta: 1, K: 1}, nil, []*graph.Tensor{x}, "local_size")
	xWantErr(t, "3-D", "LRN", &graph.LRN{LocalSize: 3, Alpha: 1, Beta: 1, K: 1}, nil, []*graph.Tensor{xT(graph.Shape{1, 3, 1}, 1, 2, 3)}, "4 axes")
}

func TestMVN(t *testing.T) {
	x := xT(graph.Shape{1, 2, 1, 2}, 1, 3, 2, 2)
	got := xRun(t, "MVN", &graph.MVN{NormalizeVariance: true, Eps: 1e-9}, nil, x)
	xNear(t, "default", got.Data, []float32{-1, 1, 0, 0}, 1e-6)
	// eps is added to the std (1 + 1), not the variance (sqrt(1 + 1)).
	got = xRun(t, "MVN", &graph.MVN{NormalizeVariance: true, Eps: 1}, nil, x)
	xNear(t, "eps on std", got.Data, []float32{-0.5, 0.5, 0, 0}, 1e-6)
	got = xRun(t, "MVN", &graph.MVN{NormalizeVariance: true, AcrossChannels: true}, nil, x)
	xNear(t, "across", got.Data, []float32{-float32(math.Sqrt2), float32(math.Sqrt2), 0, 0}, 1e-6)
	// 2-D N×C: per-sample statistics when across channels; per (n, c) a
	// slice has a single value, so mean subtraction leaves 0.
	x2 := xT(graph.Shape{2, 3}, 1, 2, 6, 0, 0, 3)
	got = xRun(t, "MVN", &graph.MVN{AcrossChannels: true, Eps: 1e-9}, nil, x2)
	xNear(t, "mean only, 2-D", got.Data, []float32{-2, -1, 3, -1, -1, 2}, 1e-6)
	got = xRun(t, "MVN", &graph.MVN{NormalizeVariance: true, Eps: 1e-9}, nil, x2)
	xNear(t, "per value, 2-D", got.Data, []float32{0, 0, 0, 0, 0, 0}, 1e-6)
}

func TestNormalize(t *testing.T) {
	// Per position over channels, eps inside the root: pos 0 sqrt(9+16+24)
	// = 7, pos 1 sqrt(0+1+24) = 5; per-channel scale (2, 10).
	x := xT(graph.Shape{1, 2, 1, 2}, 3, 0, 4, 1)
	scale := []*graph.Tensor{xT(graph.Shape{2}, 2, 10)}
	got := xRun(t, "Normalize", &graph.Normalize{Eps: 24}, scale, x)
	xNear(t, "per position", got.Data, []float32{6.0 / 7, 0, 40.0 / 7, 2}, 1e-6)

	// Across spatial: one norm per sample, sqrt(9+16+1) = sqrt(26); shared scale.
	got = xRun(t, "Normalize", &graph.Normalize{AcrossSpatial: true, ChannelShared: true}, []*graph.Tensor{xT(graph.Shape{}, 2)}, x)
	r := float32(2 / math.Sqrt(26))
	xNear(t, "across", got.Data, []float32{3 * r, 0, 4 * r, r}, 1e-6)

	// 2-D N×C, two samples.
	got = xRun(t, "Normalize", &graph.Normalize{}, []*graph.Tensor{xT(graph.Shape{3}, 1, 1, 1)}, xT(graph.Shape{2, 3}, 3, 4, 0, 0, 0, -2))
	xNear(t, "2-D", got.Data, []float32{0.6, 0.8, 0, 0, 0, -1}, 1e-6)

	xWantErr(t, "scale size", "Normalize", &graph.Normalize{}, []*graph.Tensor{xT(graph.Shape{1}, 1)}, []*graph.Tensor{x}, "blobs[0]")
}

func TestSoftmax(t *testing.T) {
	// Axis 1 of 2x3; a huge logit must not overflow (max subtraction).
	x := xT(graph.Shape{2, 3}, 0, 0, 0, 0, float32(math.Log(3)), 1000)
	got := xRun(t, "Softmax", &graph.Softmax{Axis: 1}, nil, x)
	xNear(t, "axis 1", got.Data, []float32{1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0, 1}, 1e-6)

	// Axis 0: columns are normalized.
	x = xT(graph.Shape{2, 2}, 0, 5, float32(math.Log(3)), 5)
	got = xRun(t, "Softmax", &graph.Softmax{Axis: 0}, nil, x)
	xNear(t, "axis 0", got.Data, []float32{0.25, 0.5, 0.75, 0.5}, 1e-6)

	// Axis -1 of 1x2x3.
	x = xT(graph.Shape{1, 2, 3}, 0, 0, 0, 0, float32(math.Log(2)), float32(math.Log(5)))
	got = xRun(t, "Softmax", &graph.Softmax{Axis: -1}, nil, x)
	xNear(t, "axis -1", got.Data, []float32{1.0 / 3, 1.0 / 3, 1.0 / 3, 0.125, 0.25, 0.625}, 1e-6)

	xWantErr(t, "bad axis", "Softmax", &graph.Softmax{Axis: 2}, nil, []*graph.Tensor{xT(graph.Shape{2}, 1, 2)}, "axis")
}

func TestScale(t *testing.T) {
	x := xRamp(graph.Shape{2, 3, 2}, 0, 1)
	gamma := xT(graph.Shape{3}, 1, 2, 3)
	beta := xT(graph.Shape{3}, 0.5, 0, -1)

	got := xRun(t, "Scale", &graph.Scale{Axis: 1, NumAxes: 1, BiasTerm: true}, []*graph.Tensor{gamma, beta}, x)
	xNear(t, "scale+bias", got.Data, []float32{0.5, 1.5, 4, 6, 11, 14, 6.5, 7.5, 16, 18, 29, 32}, 1e-6)

	got = xRun(t, "Scale", &graph.Scale{Axis: 1, NumAxes: 1}, []*graph.Tensor{gamma}, x)
	xNear(t, "scale", got.Data, []float32{0, 1, 4, 6, 12, 15, 6, 7, 16, 18, 30, 33}, 1e-6)

	// num_axes -1 from axis 1: one factor per (c, w).
	g6 := xRamp(graph.Shape{3, 2}, 1, 1)
	got = xRun(t, "Scale", &graph.Scale{Axis: 1, NumAxes: -1}, []*graph.Tensor{g6}, x)
	xNear(t, "to the end", got.Data, []float32{0, 2, 6, 12, 20, 30, 6, 14, 24, 36, 50, 66}, 1e-6)

	// num_axes 0: a scalar factor.
	got = xRun(t, "Scale", &graph.Scale{Axis: 1, NumAxes: 0}, []*graph.Tensor{xT(graph.Shape{}, -2)}, x)
	xNear(t, "scalar", got.Data, []float32{0, -2, -4, -6, -8, -10, -12, -14, -16, -18, -20, -22}, 1e-6)

	// axis -1: one factor per w.
	got = xRun(t, "Scale", &graph.Scale{Axis: -1, NumAxes: 1}, []*graph.Tensor{xT(graph.Shape{2}, 1, -1)}, x)
	xNear(t, "axis -1", got.Data, []float32{0, -1, 2, -3, 4, -5, 6, -7, 8, -9, 10, -11}, 1e-6)

	// Two bottoms, axis 0: per (n, c) factor (SE style).
	s := xT(graph.Shape{2, 3}, 1, 0, -1, 2, 3, 4)
	got = xRun(t, "Scale", &graph.Scale{Axis: 0, NumAxes: 1}, nil, x, s)
	xNear(t, "two bottoms", got.Data, []float32{0, 1, 0, 0, -4, -5, 12, 14, 24, 27, 40, 44}, 1e-6)

	// Two bottoms plus bias: the only parameter blob is the bias.
	got = xRun(t, "Scale", &graph.Scale{Axis: 1, NumAxes: 1, BiasTerm: true}, []*graph.Tensor{beta}, x, gamma)
	xNear(t, "two bottoms + bias", got.Data, []float32{0.5, 1.5, 4, 6, 11, 14, 6.5, 7.5, 16, 18, 29, 32}, 1e-6)

	// A 0-axis second bottom scales everything, whatever the axis.
	got = xRun(t, "Scale", &graph.Scale{Axis: 1, NumAxes: 1}, nil, x, xT(graph.Shape{}, 0.5))
	xNear(t, "scalar bottom", got.Data, []float32{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5}, 1e-6)
}

func TestScaleErrors(t *testing.T) {
	x := xRamp(graph.Shape{2, 3, 2}, 0, 1)
	op := &graph.Scale{Axis: 1, NumAxes: 1, BiasTerm: true}
	xWantErr(t, "no bias blob", "Scale", op, []*graph.Tensor{xT(graph.Shape{3}, 1, 2, 3)}, []*graph.Tensor{x}, "blobs[1]")
	xWantErr(t, "wrong scale size", "Scale", &graph.Scale{Axis: 1, NumAxes: 1}, []*graph.Tensor{xT(graph.Shape{2}, 1, 2)}, []*graph.Tensor{x}, "blobs[0]")
	xWantErr(t, "extra blob", "Scale", &graph.Scale{Axis: 1, NumAxes: 1}, []*graph.Tensor{xT(graph.Shape{3}, 1, 2, 3), xT(graph.Shape{3}, 1, 2, 3)}, []*graph.Tensor{x}, "blobs")
	xWantErr(t, "mismatched bottom", "Scale", &graph.Scale{Axis: 1, NumAxes: 1}, nil, []*graph.Tensor{x, xT(graph.Shape{2}, 1, 2)}, "bottom[1]")
	xWantErr(t, "num_axes too many", "Scale", &graph.Scale{Axis: 1, NumAxes: 3}, []*graph.Tensor{xRamp(graph.Shape{3, 2, 1}, 0, 1)}, []*graph.Tensor{x}, "num_axes")
}

func TestBias(t *testing.T) {
	x := xRamp(graph.Shape{2, 3, 2}, 0, 1)
	got := xRun(t, "Bias", &graph.Bias{Axis: 1, NumAxes: 1}, []*graph.Tensor{xT(graph.Shape{3}, 10, 20, 30)}, x)
	xNear(t, "learned", got.Data, []float32{10, 11, 22, 23, 34, 35, 16, 17, 28, 29, 40, 41}, 1e-6)

	// Second bottom of shape [C, W] at axis 1.
	b := xT(graph.Shape{3, 2}, 1, -1, 2, -2, 3, -3)
	got = xRun(t, "Bias", &graph.Bias{Axis: 1, NumAxes: 1}, nil, x, b)
	xNear(t, "bottom", got.Data, []float32{1, 0, 4, 1, 7, 2, 7, 6, 10, 7, 13, 8}, 1e-6)

	xWantErr(t, "params with two bottoms", "Bias", &graph.Bias{Axis: 1, NumAxes: 1}, []*graph.Tensor{xT(graph.Shape{3, 2}, 1, 1, 1, 1, 1, 1)}, []*graph.Tensor{x, b}, "blobs")
	xWantErr(t, "no blob", "Bias", &graph.Bias{Axis: 1, NumAxes: 1}, nil, []*graph.Tensor{x}, "blobs[0]")
}
