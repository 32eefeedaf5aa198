package exec

import (
	"math"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

func TestPermute(t *testing.T) {
	// SSD's NCHW -> NHWC on 1x2x1x3.
	x := xRamp(graph.Shape{1, 2, 1, 3}, 0, 1)
	got := xRun(t, "Permute", &graph.Permute{Order: []int{0, 2, 3, 1}}, nil, x)
	if !got.Shape.Equal(graph.Shape{1, 1, 3, 2}) {
		t.Fatalf("shape %v", got.Shape)
	}
	xNear(t, "nhwc", got.Data, []float32{0, 3, 1, 4, 2, 5}, 0)

	// A partial order: the axes not named follow in their order.
	got = xRun(t, "Permute", &graph.Permute{Order: []int{1}}, nil, xRamp(graph.Shape{2, 3}, 0, 1))
	xNear(t, "partial", got.Data, []float32{0, 3, 1, 4, 2, 5}, 0)

	// Odd sizes, a full reversal of 2x3x5, checked against index arithmetic.
	x = xRamp(graph.Shape{2, 3, 5}, 0, 1)
	got = xRun(t, "Permute", &graph.Permute{Order: []int{2, 1, 0}}, nil, x)
	for k := 0; k < 5; k++ {
		for j := 0; j < 3; j++ {
			for i := 0; i < 2; i++ {
				if g, w := got.Data[(k*3+j)*2+i], x.Data[(i*3+j)*5+k]; g != w {
					t.Fatalf("reversed [%d,%d,%d] = %v, want %v", k, j, i, g, w)
				}
			}
		}
	}
	// Identity order.
	got = xRun(t, "Permute", &graph.Permute{}, nil, x)
	xNear(t, "identity", got.Data, x.Data, 0)

	xWantErr(t, "duplicate", "Permute", &graph.Permute{Order: []int{1, 1}}, nil, []*graph.Tensor{x}, "order")
	xWantErr(t, "out of range", "Permute", &graph.Permute{Order: []int{3}}, nil, []*graph.Tensor{x}, "order")
}

func TestShuffleChannel(t *testing.T) {
	x := xRamp(graph.Shape{1, 6, 1, 1}, 0, 1)
	got := xRun(t, "ShuffleChannel", &graph.ShuffleChannel{Group: 2}, nil, x)
	xNear(t, "g2", got.Data, []float32{0, 3, 1, 4, 2, 5}, 0)
	got = xRun(t, "ShuffleChannel", &graph.ShuffleChannel{Group: 3}, nil, x)
	xNear(t, "g3", got.Data, []float32{0, 2, 4, 1, 3, 5}, 0)
	// Two samples, spatial 1x2.
	x = xRamp(graph.Shape{2, 4, 1, 2}, 0, 1)
	got = xRun(t, "ShuffleChannel", &graph.ShuffleChannel{Group: 2}, nil, x)
	xNear(t, "n2", got.Data, []float32{0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15}, 0)
	xWantErr(t, "group", "ShuffleChannel", &graph.ShuffleChannel{Group: 4}, nil, []*graph.Tensor{xRamp(graph.Shape{1, 6, 1, 1}, 0, 1)}, "group")
}

func TestInterp(t *testing.T) {
	// 2x2 -> 3x3 (zoom 2): align-corners bilinear.
	x := xT(graph.Shape{1, 1, 2, 2}, 0, 1, 2, 3)
	got := xRun(t, "Interp", &graph.Interp{ZoomFactor: 2}, nil, x)
	xNear(t, "zoom", got.Data, []float32{0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3}, 1e-6)

	// 2x3 -> 3x5, explicit size, two channels.
	x = xT(graph.Shape{1, 2, 2, 3}, 0, 1, 2, 3, 4, 5, 0, 0, 0, 10, 10, 10)
	got = xRun(t, "Interp", &graph.Interp{Height: 3, Width: 5}, nil, x)
	xNear(t, "size", got.Data, []float32{
		0, 0.5, 1, 1.5, 2, 1.5, 2, 2.5, 3, 3.5, 3, 3.5, 4, 4.5, 5,
		0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 10, 10, 10}, 1e-6)

	// Shrink 2 on 3x3: (3-1)/2+1 = 2, sampling the corners.
	x = xRamp(graph.Shape{1, 1, 3, 3}, 0, 1)
	got = xRun(t, "Interp", &graph.Interp{ShrinkFactor: 2}, nil, x)
	xNear(t, "shrink", got.Data, []float32{0, 2, 6, 8}, 1e-6)

	// pad_beg -1 crops the first row and column; the 2x2 crop is then
	// zoomed to 3x3.
	got = xRun(t, "Interp", &graph.Interp{ZoomFactor: 2, PadBeg: -1}, nil, x)
	xNear(t, "crop+zoom", got.Data, []float32{4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8}, 1e-6)
	// Same-size output copies the crop.
	got = xRun(t, "Interp", &graph.Interp{ZoomFactor: 1, PadEnd: -1}, nil, x)
	xNear(t, "crop", got.Data, []float32{0, 1, 3, 4}, 0)

	// A 1x1 output samples the top-left corner of the crop.
	got = xRun(t, "Interp", &graph.Interp{Height: 1, Width: 1, PadBeg: -1}, nil, x)
	xNear(t, "1x1", got.Data, []float32{4}, 0)

	xWantErr(t, "positive pad", "Interp", &graph.Interp{ZoomFactor: 2, PadBeg: 1}, nil, []*graph.Tensor{x}, "pad")
}

func TestUpsample(t *testing.T) {
	// SegNet max-unpooling: the mask holds flat indices into the 4x4 plane.
	x := xT(graph.Shape{1, 2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)
	mask := xT(graph.Shape{1, 2, 2, 2}, 0, 3, 9, 14, 5, 6, 9, 10)
	got := xRun(t, "Upsample", &graph.Upsample{Scale: 2, ScaleH: 2, ScaleW: 2}, nil, x, mask)
	want := make([]float32, 32)
	want[0], want[3], want[9], want[14] = 1, 2, 3, 4
	want[16+5], want[16+6], want[16+9], want[16+10] = 5, 6, 7, 8
	xNear(t, "unpool", got.Data, want, 0)

	// Explicit odd output size (SegNet's upsample_h/w), 2x2 -> 3x3.
	got = xRun(t, "Upsample", &graph.Upsample{UpsampleH: 3, UpsampleW: 3}, nil, x, xT(graph.Shape{1, 2, 2, 2}, 0, 2, 6, 8, 8, 6, 2, 0))
	xNear(t, "unpool 3x3", got.Data, []float32{1, 0, 2, 0, 0, 0, 3, 0, 4, 8, 0, 7, 0, 0, 0, 6, 0, 5}, 0)

	bad := xT(graph.Shape{1, 2, 2, 2}, 0, 3, 9, 16, 5, 6, 9, 10)
	xWantErr(t, "mask past the plane", "Upsample", &graph.Upsample{Scale: 2, ScaleH: 2, ScaleW: 2}, nil, []*graph.Tensor{x, bad}, "mask index 16")
	bad.Data[3] = -1
	xWantErr(t, "negative mask", "Upsample", &graph.Upsample{Scale: 2, ScaleH: 2, ScaleW: 2}, nil, []*graph.Tensor{x, bad}, "mask index -1")

	// One bottom: nearest neighbour.
	x = xT(graph.Shape{1, 1, 2, 2}, 1, 2, 3, 4)
	got = xRun(t, "Upsample", &graph.Upsample{Scale: 2, ScaleH: 2, ScaleW: 2}, nil, x)
	xNear(t, "nearest", got.Data, []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 0)
	got = xRun(t, "Upsample", &graph.Upsample{ScaleH: 1, ScaleW: 3}, nil, x)
	xNear(t, "nearest 1x3", got.Data, []float32{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, 0)
}

func TestPriorBox(t *testing.T) {
	// One cell of a 100x100 image: min 30, max 60, ratio 2 flipped.
	op := &graph.PriorBox{MinSizes: []float32{30}, MaxSizes: []float32{60}, AspectRatios: []float32{2}, Flip: true,
		Variance: []float32{0.1, 0.1, 0.2, 0.2}, Offset: 0.5}
	feat, img := graph.NewTensor(graph.Shape{1, 1, 1, 1}), graph.NewTensor(graph.Shape{1, 3, 100, 100})
	got := xRun(t, "PriorBox", op, nil, feat, img)
	if !got.Shape.Equal(graph.Shape{1, 2, 16}) {
		t.Fatalf("shape %v", got.Shape)
	}
	h := float32(math.Sqrt(1800)) / 2 / 100 // half of sqrt(30·60), normalized
	w2 := float32(30*math.Sqrt2) / 2 / 100  // half of 30·sqrt(2)
	h2 := float32(30/math.Sqrt2) / 2 / 100  // half of 30/sqrt(2)
	want := []float32{
		0.35, 0.35, 0.65, 0.65,
		0.5 - h, 0.5 - h, 0.5 + h, 0.5 + h,
		0.5 - w2, 0.5 - h2, 0.5 + w2, 0.5 + h2,
		0.5 - h2, 0.5 - w2, 0.5 + h2, 0.5 + w2,
		0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.2, 0.2,
	}
	xNear(t, "one cell", got.Data, want, 1e-6)

	// Sizes are truncated to integers as in the SSD code: 30.7 acts as 30.
	op.MinSizes, op.MaxSizes = []float32{30.7}, []float32{60.9}
	got = xRun(t, "PriorBox", op, nil, feat, img)
	xNear(t, "truncated sizes", got.Data, want, 1e-6)

	// img_h/img_w and step override the image blob; two rows of cells;
	// clip keeps coordinates in [0, 1].
	op = &graph.PriorBox{MinSizes: []float32{4}, ImgH: 20, ImgW: 10, StepH: 10, StepW: 10, Offset: 0.5,
		Variance: []float32{0.5}, Clip: true}
	got = xRun(t, "PriorBox", op, nil, graph.NewTensor(graph.Shape{1, 1, 2, 1}), graph.NewTensor(graph.Shape{1, 3, 7, 7}))
	xNear(t, "img size", got.Data, []float32{0.3, 0.15, 0.7, 0.35, 0.3, 0.65, 0.7, 0.85, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, 1e-6)
	op.MinSizes = []float32{30}
	got = xRun(t, "PriorBox", op, nil, graph.NewTensor(graph.Shape{1, 1, 2, 1}), graph.NewTensor(graph.Shape{1, 3, 7, 7}))
	xNear(t, "clipped", got.Data[:8], []float32{0, 0, 1, 1, 0, 0, 1, 1}, 0)
}

// xDet runs DetectionOutput on priors p (4 values each) with variances v.
func xDet(t *testing.T, op *graph.DetectionOutput, loc, conf []float32, num int, p []float32, v [4]float32) *graph.Tensor {
	t.Helper()
	n := len(p) / 4
	prior := graph.NewTensor(graph.Shape{1, 2, 4 * n})
	copy(prior.Data, p)
	for i := 0; i < n; i++ {
		copy(prior.Data[4*(n+i):], v[:])
	}
	return xRun(t, "DetectionOutput", op, nil,
		xT(graph.Shape{num, len(loc) / num}, loc...), xT(graph.Shape{num, len(conf) / num}, conf...), prior)
}

func TestDetectionOutput(t *testing.T) {
	v := [4]float32{0.1, 0.1, 0.2, 0.2}
	p0, p1 := []float32{0.1, 0.1, 0.3, 0.3}, []float32{0.5, 0.5, 0.9, 0.9}
	// p2 covers p0 almost exactly (IoU 0.952).
	p2 := []float32{0.1, 0.1, 0.3, 0.31}
	priors := append(append(append([]float32{}, p0...), p1...), p2...)
	op := func() *graph.DetectionOutput {
		return &graph.DetectionOutput{NumClasses: 3, ShareLocation: true, BackgroundLabelID: 0, NMSThreshold: 0.45,
			NMSTopK: -1, NMSEta: 1, CodeType: graph.CodeCenterSize, KeepTopK: -1, ConfidenceThreshold: 0.15, HasConfidenceThreshold: true}
	}
	zeros := make([]float32, 12)
	conf := []float32{
		0.1, 0.7, 0.2, // p0
		0.2, 0.1, 0.7, // p1
		0.1, 0.6, 0.3, // p2: under p0 in class 1, over it in class 2
	}
	row := func(img, label, score float32, b []float32) []float32 {
		return []float32{img, label, score, b[0], b[1], b[2], b[3]}
	}
	cat := func(rs ...[]float32) []float32 {
		var out []float32
		for _, r := range rs {
			out = append(out, r...)
		}
		return out
	}
	got := xDet(t, op(), zeros, conf, 1, priors, v)
	// Class 1: p0 (0.7) kept, p2 (0.6) suppressed. Class 2: p1 (0.7), p2
	// (0.3) kept, then p0 (0.2) suppressed by p2. Rows by label, then score.
	want := cat(row(0, 1, 0.7, p0), row(0, 2, 0.7, p1), row(0, 2, 0.3, p2))
	if !got.Shape.Equal(graph.Shape{1, 1, 3, 7}) {
		t.Fatalf("shape %v", got.Shape)
	}
	xNear(t, "nms", got.Data, want, 1e-6)

	// keep_top_k 2 over all classes: the two 0.7 detections, still grouped
	// by label.
	o := op()
	o.KeepTopK = 2
	got = xDet(t, o, zeros, conf, 1, priors, v)
	xNear(t, "keep_top_k", got.Data, cat(row(0, 1, 0.7, p0), row(0, 2, 0.7, p1)), 1e-6)

	// nms top_k 1 keeps only the best candidate per class.
	o = op()
	o.NMSTopK = 1
	got = xDet(t, o, zeros, conf, 1, priors, v)
	xNear(t, "nms top_k", got.Data, cat(row(0, 1, 0.7, p0), row(0, 2, 0.7, p1)), 1e-6)

	// Adaptive eta: threshold 0.6 -> 0.54 after the first kept box, so a
	// second box overlapping the first by 0.55 goes, unlike with eta 1.
	q0, q1 := []float32{0, 0, 0.2, 0.2}, []float32{0, 0, 0.2, 0.11}
	two := append(append([]float32{}, q0...), q1...)
	c2 := []float32{0.1, 0.9, 0.1, 0.8}
	o = &graph.DetectionOutput{NumClasses: 2, ShareLocation: true, NMSThreshold: 0.6, NMSTopK: -1, NMSEta: 1,
		CodeType: graph.CodeCorner, KeepTopK: -1, ConfidenceThreshold: -math.MaxFloat32}
	got = xDet(t, o, make([]float32, 8), c2, 1, two, v)
	xNear(t, "eta 1", got.Data, cat(row(0, 1, 0.9, q0), row(0, 1, 0.8, q1)), 1e-6)
	o.NMSEta = 0.9
	got = xDet(t, o, make([]float32, 8), c2, 1, two, v)
	xNear(t, "eta 0.9", got.Data, row(0, 1, 0.9, q0), 1e-6)

	// Decoding. CENTER_SIZE with variances: p1 centre (0.7, 0.7), size 0.4.
	loc := []float32{0, 0, 0, 0, 1, -1, float32(math.Ln2 / 0.2), 0, 0, 0, 0, 0}
	conf = []float32{0.9, 0.05, 0.05, 0.1, 0.1, 0.8, 0.9, 0.05, 0.05}
	got = xDet(t, op(), loc, conf, 1, priors, v)
	xNear(t, "center size", got.Data, row(0, 2, 0.8, []float32{0.34, 0.46, 1.14, 0.86}), 1e-6)
	// CENTER_SIZE with the variance in the target: no scaling by v.
	o = op()
	o.VarianceEncodedInTarget = true
	loc[4], loc[5], loc[6] = 0.1, -0.1, float32(math.Ln2)
	got = xDet(t, o, loc, conf, 1, priors, v)
	xNear(t, "center size, variance in target", got.Data, row(0, 2, 0.8, []float32{0.34, 0.46, 1.14, 0.86}), 1e-6)
	// CORNER: corners move by v·loc.
	o = op()
	o.CodeType = graph.CodeCorner
	loc[4], loc[5], loc[6], loc[7] = 1, -1, 2, -2
	got = xDet(t, o, loc, conf, 1, priors, v)
	xNear(t, "corner", got.Data, row(0, 2, 0.8, []float32{0.6, 0.4, 1.3, 0.5}), 1e-6)
	// CORNER_SIZE: corners move by v·loc·(prior width or height).
	o.CodeType = graph.CodeCornerSize
	got = xDet(t, o, loc, conf, 1, priors, v)
	xNear(t, "corner size", got.Data, row(0, 2, 0.8, []float32{0.54, 0.46, 1.06, 0.74}), 1e-6)

	// share_location false: class c reads its own 4 values per prior.
	o = op()
	o.ShareLocation = false
	o.CodeType = graph.CodeCorner
	loc = make([]float32, 3*3*4)
	loc[(1*3+2)*4] = 1 // prior 1, class 2: xmin += 0.1
	loc[(1*3+1)*4] = 5 // prior 1, class 1: ignored (score too low)
	got = xDet(t, o, loc, conf, 1, priors, v)
	xNear(t, "per-class locations", got.Data, row(0, 2, 0.8, []float32{0.6, 0.5, 0.9, 0.9}), 1e-6)

	// Nothing above the threshold: one row (i, -1, ..., -1) per image.
	o = op()
	o.ConfidenceThreshold = 0.99
	got = xDet(t, o, make([]float32, 24), append(append([]float32{}, conf...), conf...), 2, priors, v)
	if !got.Shape.Equal(graph.Shape{1, 1, 2, 7}) {
		t.Fatalf("empty: shape %v", got.Shape)
	}
	xNear(t, "empty", got.Data, []float32{0, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1}, 0)

	// A second image with detections only in it.
	conf2 := []float32{1, 0, 0, 1, 0, 0, 1, 0, 0, 0.1, 0.7, 0.2, 0.2, 0.1, 0.7, 0.1, 0.6, 0.3}
	got = xDet(t, op(), make([]float32, 24), conf2, 2, priors, v)
	xNear(t, "batch", got.Data, cat(row(1, 1, 0.7, p0), row(1, 2, 0.7, p1), row(1, 2, 0.3, p2)), 1e-6)
}

func TestDetectionOutputErrors(t *testing.T) {
	prior := graph.NewTensor(graph.Shape{1, 2, 8})
	loc, conf := graph.NewTensor(graph.Shape{1, 8}), graph.NewTensor(graph.Shape{1, 6})
	op := &graph.DetectionOutput{NumClasses: 3, ShareLocation: true, NMSThreshold: 0.5, NMSTopK: -1, NMSEta: 1,
		CodeType: graph.CodeCenterSize, KeepTopK: -1}
	xWantErr(t, "conf size", "DetectionOutput", op, nil, []*graph.Tensor{loc, graph.NewTensor(graph.Shape{1, 5}), prior}, "bottom[1]")
	bad := *op
	bad.NMSEta = 0
	xWantErr(t, "eta", "DetectionOutput", &bad, nil, []*graph.Tensor{loc, conf, prior}, "eta")
	// Zero-area priors cannot be decoded with CENTER_SIZE (Caffe aborts).
	xWantErr(t, "empty prior", "DetectionOutput", op, nil, []*graph.Tensor{loc, conf, prior}, "no area")
}
