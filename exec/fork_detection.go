package exec

import (
	"fmt"
	"math"
	"sort"

	"github.com/caffetool/caffetool/graph"
)

// detectionOutputLayer is SSD's DetectionOutput (weiliu89
// detection_output_layer.cpp with util/bbox_util.cpp). Bottoms: location
// predictions [N, P·L·4] (L = 1 with share_location, else num_classes),
// confidences [N, P·num_classes], priors [1, 2, P·4] (boxes, then
// variances). Per image and per non-background class: decode the boxes
// against the priors, keep scores above confidence_threshold, take the
// nms_top_k best, run greedy NMS (the overlap threshold shrinks by eta
// while above 0.5), then keep the keep_top_k best detections over all
// classes. The top is [1, 1, D, 7] with rows (image, label, score, xmin,
// ymin, xmax, ymax), ordered by image, then label, then score. D is only
// known after the forward pass, so this layer resizes its top; with no
// detection at all Caffe emits one row per image: (i, -1, -1, -1, -1, -1,
// -1).
type detectionOutputLayer struct {
	io           opIO
	numClasses   int
	numLoc       int
	shareLoc     bool
	background   int
	nmsThreshold float32
	eta          float32
	topK         int
	keepTopK     int
	confThresh   float32
	code         graph.CodeType
	varInTarget  bool
	num          int
	numPriors    int
}

type bbox struct {
	xmin, ymin, xmax, ymax float32
	size                   float32
}

func newDetectionOutput(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.DetectionOutput](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 3, 3, 1); err != nil {
		return nil, err
	}
	if op.NumClasses <= 0 {
		return nil, opErr(n, "num_classes", "must be positive, got %d", op.NumClasses)
	}
	if !(op.NMSThreshold >= 0) {
		return nil, opErr(n, "nms_threshold", "must be non-negative, got %v", op.NMSThreshold)
	}
	if !(op.NMSEta > 0 && op.NMSEta <= 1) {
		return nil, opErr(n, "eta", "must be in (0, 1], got %v", op.NMSEta)
	}
	switch op.CodeType {
	case graph.CodeCorner, graph.CodeCenterSize, graph.CodeCornerSize:
	default:
		return nil, opErr(n, "code_type", "unknown code type %d", op.CodeType)
	}
	l := &detectionOutputLayer{
		io: newOpIO(n, in, out), numClasses: op.NumClasses, numLoc: 1, shareLoc: op.ShareLocation,
		background: op.BackgroundLabelID, nmsThreshold: op.NMSThreshold, eta: op.NMSEta,
		topK: op.NMSTopK, keepTopK: op.KeepTopK, confThresh: -math.MaxFloat32,
		code: op.CodeType, varInTarget: op.VarianceEncodedInTarget,
	}
	l.io.out[0] = -1 // resized by Forward
	if !op.ShareLocation {
		l.numLoc = op.NumClasses
	}
	if op.HasConfidenceThreshold {
		l.confThresh = op.ConfidenceThreshold
	}
	loc, conf, prior := in[0], in[1], in[2]
	if len(loc) < 1 || len(conf) < 1 || loc[0] != conf[0] {
		return nil, opErr(n, "bottom[1]", "confidence shape %v and location shape %v must share num", conf, loc)
	}
	if len(prior) < 3 {
		return nil, opErr(n, "bottom[2]", "prior shape %v needs 3 axes [1, 2, P*4]", prior)
	}
	l.num, l.numPriors = loc[0], prior[2]/4
	if got, want := loc.CountRange(1, len(loc)), l.numPriors*l.numLoc*4; got != want {
		return nil, opErr(n, "bottom[0]", "location predictions hold %d values per image, want %d for %d priors", got, want, l.numPriors)
	}
	if got, want := conf.CountRange(1, len(conf)), l.numPriors*l.numClasses; got != want {
		return nil, opErr(n, "bottom[1]", "confidences hold %d values per image, want %d for %d priors", got, want, l.numPriors)
	}
	if prior.Count() < 2*l.numPriors*4 {
		return nil, opErr(n, "bottom[2]", "prior shape %v lacks the variance channel", prior)
	}
	return l, nil
}

func (l *detectionOutputLayer) fail(format string, a ...any) error {
	return &graph.LayerError{Layer: l.io.name, Type: l.io.typ, Err: fmt.Errorf(format, a...)}
}

// decode turns one location prediction into a box (bbox_util.cpp
// DecodeBBox, without clipping), in float32 like the original.
func (l *detectionOutputLayer) decode(p bbox, v [4]float32, b [4]float32) (bbox, error) {
	if !l.varInTarget {
		b = [4]float32{v[0] * b[0], v[1] * b[1], v[2] * b[2], v[3] * b[3]}
	}
	var d bbox
	switch l.code {
	case graph.CodeCorner:
		d = bbox{xmin: p.xmin + b[0], ymin: p.ymin + b[1], xmax: p.xmax + b[2], ymax: p.ymax + b[3]}
	case graph.CodeCenterSize, graph.CodeCornerSize:
		pw, ph := p.xmax-p.xmin, p.ymax-p.ymin
		if !(pw > 0 && ph > 0) {
			return bbox{}, l.fail("prior box (%v, %v, %v, %v) has no area", p.xmin, p.ymin, p.xmax, p.ymax)
		}
		if l.code == graph.CodeCornerSize {
			d = bbox{xmin: p.xmin + float32(b[0]*pw), ymin: p.ymin + float32(b[1]*ph),
				xmax: p.xmax + float32(b[2]*pw), ymax: p.ymax + float32(b[3]*ph)}
			break
		}
		pcx, pcy := (p.xmin+p.xmax)/2, (p.ymin+p.ymax)/2
		cx := float32(b[0]*pw) + pcx
		cy := float32(b[1]*ph) + pcy
		w := float32(math.Exp(float64(b[2]))) * pw
		h := float32(math.Exp(float64(b[3]))) * ph
		d = bbox{
			xmin: float32(float64(cx) - float64(w)/2), ymin: float32(float64(cy) - float64(h)/2),
			xmax: float32(float64(cx) + float64(w)/2), ymax: float32(float64(cy) + float64(h)/2),
		}
	}
	d.size = boxSize(d)
	return d, nil
}

// boxSize is the area of a normalized box, 0 when it is inverted.
func boxSize(b bbox) float32 {
	if b.xmax < b.xmin || b.ymax < b.ymin {
		return 0
	}
	return (b.xmax - b.xmin) * (b.ymax - b.ymin)
}

// jaccard is the intersection over union of two boxes.
func jaccard(a, b bbox) float32 {
	if b.xmin > a.xmax || b.xmax < a.xmin || b.ymin > a.ymax || b.ymax < a.ymin {
		return 0
	}
	w := min(a.xmax, b.xmax) - max(a.xmin, b.xmin)
	h := min(a.ymax, b.ymax) - max(a.ymin, b.ymin)
	if !(w > 0 && h > 0) {
		return 0
	}
	inter := w * h
	return inter / (a.size + b.size - inter)
}

type scoredIndex struct {
	score float32
	idx   int
}

// nms is ApplyNMSFast: candidates scoring above the confidence threshold,
// best first (stable for ties), at most top_k of them, greedily kept unless
// they overlap a kept box by more than the adaptive threshold.
func (l *detectionOutputLayer) nms(boxes []bbox, scores []float32) []int {
	var cand []scoredIndex
	for i, s := range scores {
		if s > l.confThresh {
			cand = append(cand, scoredIndex{s, i})
		}
	}
	sort.SliceStable(cand, func(a, b int) bool { return cand[a].score > cand[b].score })
	if l.topK > -1 && l.topK < len(cand) {
		cand = cand[:l.topK]
	}
	thresh := l.nmsThreshold
	var kept []int
	for _, c := range cand {
		keep := true
		for _, k := range kept {
			if jaccard(boxes[c.idx], boxes[k]) > thresh {
				keep = false
				break
			}
		}
		if keep {
			kept = append(kept, c.idx)
			if l.eta < 1 && thresh > 0.5 {
				thresh *= l.eta
			}
		}
	}
	return kept
}

// detection is one kept box of one image.
type detection struct {
	label int
	score float32
	box   bbox
}

func (l *detectionOutputLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	locData, confData, priorData := bottoms[0].Data, bottoms[1].Data, bottoms[2].Data
	P := l.numPriors
	priors := make([]bbox, P)
	vars := make([][4]float32, P)
	for i := range priors {
		p := priorData[i*4 : i*4+4]
		priors[i] = bbox{xmin: p[0], ymin: p[1], xmax: p[2], ymax: p[3]}
		priors[i].size = boxSize(priors[i])
		copy(vars[i][:], priorData[(P+i)*4:(P+i)*4+4])
	}
	var rows []float32
	total := 0
	scores := make([]float32, P)
	for img := 0; img < l.num; img++ {
		loc := locData[img*P*l.numLoc*4 : (img+1)*P*l.numLoc*4]
		conf := confData[img*P*l.numClasses : (img+1)*P*l.numClasses]
		decoded := make([][]bbox, l.numLoc)
		var dets []detection
		for c := 0; c < l.numClasses; c++ {
			if c == l.background {
				continue
			}
			lc := 0
			if !l.shareLoc {
				lc = c
			}
			if decoded[lc] == nil {
				boxes := make([]bbox, P)
				for p := range boxes {
					var raw [4]float32
					copy(raw[:], loc[(p*l.numLoc+lc)*4:(p*l.numLoc+lc)*4+4])
					b, err := l.decode(priors[p], vars[p], raw)
					if err != nil {
						return err
					}
					boxes[p] = b
				}
				decoded[lc] = boxes
			}
			for p := range scores {
				scores[p] = conf[p*l.numClasses+c]
			}
			for _, i := range l.nms(decoded[lc], scores) {
				dets = append(dets, detection{label: c, score: scores[i], box: decoded[lc][i]})
			}
		}
		if l.keepTopK > -1 && len(dets) > l.keepTopK {
			// Best keep_top_k over all classes, then back to label order
			// (Caffe regroups them by label, best first within a label).
			sort.SliceStable(dets, func(a, b int) bool { return dets[a].score > dets[b].score })
			dets = dets[:l.keepTopK]
			sort.SliceStable(dets, func(a, b int) bool { return dets[a].label < dets[b].label })
		}
		for _, d := range dets {
			rows = append(rows, float32(img), float32(d.label), d.score, d.box.xmin, d.box.ymin, d.box.xmax, d.box.ymax)
		}
		total += len(dets)
	}
	if total == 0 {
		rows = rows[:0]
		for img := 0; img < l.num; img++ {
			rows = append(rows, float32(img), -1, -1, -1, -1, -1, -1)
		}
		total = l.num
	}
	t := tops[0]
	t.Shape = graph.Shape{1, 1, total, 7}
	if cap(t.Data) >= len(rows) {
		t.Data = t.Data[:len(rows)]
	} else {
		t.Data = make([]float32, len(rows))
	}
	copy(t.Data, rows)
	return nil
}
