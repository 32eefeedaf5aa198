package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

// itemResult is what run reports for one input and one output blob.
type itemResult struct {
	Input      string      `json:"input"`
	Blob       string      `json:"blob"`
	Shape      []int       `json:"shape"`
	Top        []ranked    `json:"top,omitempty"`
	Detections []detection `json:"detections,omitempty"`
	Stats      *stats      `json:"stats,omitempty"`
}

type ranked struct {
	Index int       `json:"index"`
	Label string    `json:"label,omitempty"`
	Score jsonFloat `json:"score"`
}

type detection struct {
	Class int          `json:"class"`
	Label string       `json:"label,omitempty"`
	Score jsonFloat    `json:"score"`
	Box   [4]jsonFloat `json:"box"` // xmin, ymin, xmax, ymax (normalized)
}

type stats struct {
	Min, Max, Mean jsonFloat
}

// jsonFloat is a float32 that encoding/json can always write: an untrained
// or diverged net yields NaN and ±Inf, which JSON numbers cannot hold, so
// those become the strings "NaN", "+Inf" and "-Inf".
type jsonFloat float32

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte(`"` + strconv.FormatFloat(v, 'g', -1, 32) + `"`), nil
	}
	return json.Marshal(float32(f))
}

// summarize reports each output blob for each input of the batch.
func summarize(x *exec.Net, outs, names, labels []string, top int) []itemResult {
	var res []itemResult
	for _, blob := range outs {
		v := x.Graph().Blob(blob)
		t := x.Blob(blob)
		if v == nil || t == nil {
			continue
		}
		if _, ok := v.Producer.Op.(*graph.DetectionOutput); ok {
			res = append(res, detections(t, blob, names, labels)...)
			continue
		}
		n := 1
		if len(t.Shape) > 0 {
			n = t.Shape[0]
		}
		per := len(t.Data) / max(n, 1)
		for i := 0; i < n; i++ {
			r := itemResult{Input: nameAt(names, i), Blob: blob, Shape: append([]int{}, t.Shape[min(1, len(t.Shape)):]...)}
			row := t.Data[i*per : (i+1)*per]
			if isClassifier(t.Shape) {
				r.Top = rank(row, labels, top)
			} else {
				r.Stats = summary(row)
			}
			res = append(res, r)
		}
	}
	return res
}

func nameAt(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("#%d", i)
}

// isClassifier: N×K or N×K×1×1 scores.
func isClassifier(s graph.Shape) bool {
	if len(s) < 2 {
		return false
	}
	for _, d := range s[2:] {
		if d != 1 {
			return false
		}
	}
	return s[1] > 1
}

func rank(row []float32, labels []string, top int) []ranked {
	idx := make([]int, len(row))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
	var out []ranked
	for _, i := range idx[:min(top, len(idx))] {
		r := ranked{Index: i, Score: jsonFloat(row[i])}
		if i < len(labels) {
			r.Label = labels[i]
		}
		out = append(out, r)
	}
	return out
}

func summary(row []float32) *stats {
	if len(row) == 0 {
		return &stats{}
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	var sum float64
	for _, v := range row {
		lo, hi = min(lo, v), max(hi, v)
		sum += float64(v)
	}
	return &stats{Min: jsonFloat(lo), Max: jsonFloat(hi), Mean: jsonFloat(sum / float64(len(row)))}
}

// detections reads SSD DetectionOutput rows (image, label, score, box).
func detections(t *graph.Tensor, blob string, names, labels []string) []itemResult {
	byImage := map[int]*itemResult{}
	var order []int
	for i := 0; i+7 <= len(t.Data); i += 7 {
		r := t.Data[i : i+7]
		img := int(r[0])
		if img < 0 { // Caffe's "no detection" row
			continue
		}
		ir := byImage[img]
		if ir == nil {
			ir = &itemResult{Input: nameAt(names, img), Blob: blob, Shape: []int{7}}
			byImage[img] = ir
			order = append(order, img)
		}
		d := detection{Class: int(r[1]), Score: jsonFloat(r[2]), Box: [4]jsonFloat{jsonFloat(r[3]), jsonFloat(r[4]), jsonFloat(r[5]), jsonFloat(r[6])}}
		if d.Class >= 0 && d.Class < len(labels) {
			d.Label = labels[d.Class]
		}
		ir.Detections = append(ir.Detections, d)
	}
	var out []itemResult
	for _, img := range order {
		out = append(out, *byImage[img])
	}
	if len(out) == 0 {
		out = append(out, itemResult{Input: strings.Join(names, " "), Blob: blob, Shape: []int{7}, Detections: []detection{}})
	}
	return out
}

func printResults(w io.Writer, res []itemResult) {
	for _, r := range res {
		switch {
		case r.Top != nil:
			fmt.Fprintf(w, "%s: %s\n", r.Input, r.Blob)
			for _, t := range r.Top {
				label := t.Label
				if label == "" {
					label = fmt.Sprintf("class %d", t.Index)
				}
				fmt.Fprintf(w, "  %.4f  %4d  %s\n", t.Score, t.Index, label)
			}
		case r.Detections != nil:
			fmt.Fprintf(w, "%s: %s: %d detections\n", r.Input, r.Blob, len(r.Detections))
			for _, d := range r.Detections {
				label := d.Label
				if label == "" {
					label = fmt.Sprintf("class %d", d.Class)
				}
				fmt.Fprintf(w, "  %-16s %.4f  box %.4f %.4f %.4f %.4f\n", label, d.Score, d.Box[0], d.Box[1], d.Box[2], d.Box[3])
			}
		default:
			fmt.Fprintf(w, "%s: %s %s min %g max %g mean %g\n", r.Input, r.Blob, graph.Shape(r.Shape), r.Stats.Min, r.Stats.Max, r.Stats.Mean)
		}
	}
}

// dumpName is the file name of one blob version in a dump directory.
func dumpName(v *graph.Value, final bool) string {
	name := strings.ReplaceAll(v.Blob, "/", "__")
	if final {
		return name + ".npy"
	}
	return fmt.Sprintf("%s@%d.npy", name, v.Version)
}

// dumpBlobs writes every blob version of the last forward pass to dir.
func dumpBlobs(x *exec.Net, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	g := x.Graph()
	for _, v := range g.Values {
		t := x.ValueTensor(v)
		if t == nil {
			continue
		}
		final := g.Blob(v.Blob) == v
		if err := writeNpyAtomic(filepath.Join(dir, dumpName(v, final)), t); err != nil {
			return err
		}
	}
	return nil
}

func writeNpyAtomic(path string, t *graph.Tensor) error {
	var b strings.Builder
	if err := npy.Encode(&b, t); err != nil {
		return err
	}
	return caffe.WriteFileAtomic(path, []byte(b.String()), 0o644)
}

func readNpy(path string) (*graph.Tensor, error) { return npy.Read(path) }
