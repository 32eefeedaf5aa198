package exec

import (
	"math"

	"github.com/caffetool/caffetool/graph"
)

// priorBoxLayer generates SSD anchors (weiliu89 prior_box_layer.cpp). The
// top is [1, 2, H·W·P·4]: channel 0 holds (xmin, ymin, xmax, ymax) of the P
// priors of each feature-map cell, normalized by the image size, channel 1
// their variances. Per cell and min_size the order is: the min_size square,
// the sqrt(min·max) square (when max sizes are given), then one box per
// aspect ratio other than 1. Like the SSD code, sizes are truncated to
// integers before use.
type priorBoxLayer struct {
	io         opIO
	minSizes   []int
	maxSizes   []int
	ratios     []float32 // PriorBox.ExpandedAspectRatios: 1 first
	clip       bool
	variance   []float32 // 1 or 4 values
	offset     float32
	layerH     int
	layerW     int
	imgH, imgW int
	stepH      float32
	stepW      float32
	numPriors  int
}

func newPriorBox(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.PriorBox](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 2, 1); err != nil {
		return nil, err
	}
	if len(op.MinSizes) == 0 {
		return nil, opErr(n, "min_size", "must provide min_size")
	}
	l := &priorBoxLayer{io: newOpIO(n, in, out), clip: op.Clip, offset: op.Offset,
		ratios: op.ExpandedAspectRatios()}
	for _, ar := range op.AspectRatios {
		if !(ar > 0) {
			return nil, opErr(n, "aspect_ratio", "must be positive, got %v", ar)
		}
	}
	for _, m := range op.MinSizes {
		if !(m > 0) {
			return nil, opErr(n, "min_size", "must be positive, got %v", m)
		}
		l.minSizes = append(l.minSizes, int(m))
	}
	if len(op.MaxSizes) > 0 {
		if len(op.MaxSizes) != len(op.MinSizes) {
			return nil, opErr(n, "max_size", "%d max sizes for %d min sizes", len(op.MaxSizes), len(op.MinSizes))
		}
		for i, m := range op.MaxSizes {
			if !(m > op.MinSizes[i]) {
				return nil, opErr(n, "max_size", "max_size %v must be greater than min_size %v", m, op.MinSizes[i])
			}
			l.maxSizes = append(l.maxSizes, int(m))
		}
	}
	l.numPriors = len(l.ratios)*len(l.minSizes) + len(l.maxSizes)
	// Forward skips ratios within 1e-6 of 1 except the leading one; make
	// sure that writes exactly numPriors boxes (Caffe would overrun).
	emitted := 1
	for _, ar := range l.ratios {
		if math.Abs(float64(ar)-1) >= 1e-6 {
			emitted++
		}
	}
	if emitted != len(l.ratios) {
		return nil, opErr(n, "aspect_ratio", "ratios %v expand to a ratio too close to 1", op.AspectRatios)
	}
	switch len(op.Variance) {
	case 0:
		l.variance = []float32{0.1}
	case 1, 4:
		l.variance = op.Variance
	default:
		return nil, opErr(n, "variance", "takes 1 or 4 values, got %d", len(op.Variance))
	}
	for _, v := range l.variance {
		if !(v > 0) {
			return nil, opErr(n, "variance", "must be positive, got %v", v)
		}
	}
	if op.ImgH < 0 || op.ImgW < 0 || op.StepH < 0 || op.StepW < 0 {
		return nil, opErr(n, "prior_box_param", "img_h/img_w/step_h/step_w must not be negative")
	}
	if len(in[0]) != 4 {
		return nil, opErr(n, "bottom[0]", "needs a 4-D feature map, got shape %v", in[0])
	}
	l.layerH, l.layerW = in[0][2], in[0][3]
	l.imgH, l.imgW = op.ImgH, op.ImgW
	if l.imgH == 0 || l.imgW == 0 {
		if len(in) < 2 || len(in[1]) != 4 {
			return nil, opErr(n, "bottom[1]", "needs the 4-D image blob when img_h/img_w are not set")
		}
		l.imgH, l.imgW = in[1][2], in[1][3]
	}
	l.stepH, l.stepW = op.StepH, op.StepW
	if l.stepH == 0 || l.stepW == 0 {
		l.stepH = float32(l.imgH) / float32(l.layerH)
		l.stepW = float32(l.imgW) / float32(l.layerW)
	}
	dim := l.layerH * l.layerW * l.numPriors * 4
	if dim <= 0 {
		return nil, opErr(n, "bottom[0]", "feature map %dx%d gives no priors", l.layerH, l.layerW)
	}
	if out[0].Count() != 2*dim {
		return nil, opErr(n, "top[0]", "shape %v does not hold 2x%d values", out[0], dim)
	}
	if l.imgH <= 0 || l.imgW <= 0 {
		return nil, opErr(n, "bottom[1]", "image size %dx%d must be positive", l.imgH, l.imgW)
	}
	return l, nil
}

func (l *priorBoxLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	top := tops[0].Data
	dim := len(top) / 2
	imgW, imgH := float64(l.imgW), float64(l.imgH)
	idx := 0
	put := func(cx, cy float32, bw, bh float32) {
		top[idx] = float32((float64(cx) - float64(bw)/2) / imgW)
		top[idx+1] = float32((float64(cy) - float64(bh)/2) / imgH)
		top[idx+2] = float32((float64(cx) + float64(bw)/2) / imgW)
		top[idx+3] = float32((float64(cy) + float64(bh)/2) / imgH)
		idx += 4
	}
	for h := 0; h < l.layerH; h++ {
		for w := 0; w < l.layerW; w++ {
			cx := (float32(w) + l.offset) * l.stepW
			cy := (float32(h) + l.offset) * l.stepH
			for s, minSize := range l.minSizes {
				put(cx, cy, float32(minSize), float32(minSize))
				if l.maxSizes != nil {
					// sqrt of the integer product, as in the SSD code.
					side := float32(math.Sqrt(float64(minSize * l.maxSizes[s])))
					put(cx, cy, side, side)
				}
				// Aspect-ratio boxes scale min_size (not the max-size square).
				for _, ar := range l.ratios {
					if math.Abs(float64(ar)-1) < 1e-6 {
						continue
					}
					r := math.Sqrt(float64(ar))
					put(cx, cy, float32(float64(minSize)*r), float32(float64(minSize)/r))
				}
			}
		}
	}
	if l.clip {
		for i := 0; i < dim; i++ {
			top[i] = min(max(top[i], 0), 1)
		}
	}
	vars := top[dim:]
	for i := range vars {
		vars[i] = l.variance[i%len(l.variance)]
	}
	return nil
}
