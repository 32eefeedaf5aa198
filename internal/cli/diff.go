package cli

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

// tolerance: a blob passes when max|a−b| ≤ atol + rtol·max|b| (b = the
// reference). The relative part is scaled by the blob's largest magnitude,
// not each element's: float32 rounding error follows the size of the sums
// that produced a blob, so an element near zero in a blob of large values
// carries the same absolute error as its neighbours.
type tolerance struct{ atol, rtol float64 }

// blobDiff is one row of a comparison report.
type blobDiff struct {
	Name    string  `json:"blob"`
	Shape   []int   `json:"shape"`
	MaxAbs  float64 `json:"max_abs"`
	MeanAbs float64 `json:"mean_abs"`
	MaxRel  float64 `json:"max_rel"` // max|a−b| / max(1, max|b|)
	OK      bool    `json:"ok"`
	Note    string  `json:"note,omitempty"`
}

func diffTensors(name string, got, ref *graph.Tensor, tol tolerance) blobDiff {
	d := blobDiff{Name: name, Shape: shapeInts(ref.Shape), OK: true}
	if !got.Shape.Equal(ref.Shape) || len(got.Data) != len(ref.Data) {
		d.OK = false
		d.Note = fmt.Sprintf("shape %s vs %s", got.Shape, ref.Shape)
		d.MaxAbs, d.MeanAbs, d.MaxRel = math.Inf(1), math.Inf(1), math.Inf(1)
		return d
	}
	var sum, peak float64
	for i, r := range ref.Data {
		a, b := float64(got.Data[i]), float64(r)
		e := math.Abs(a - b)
		if math.IsNaN(a) != math.IsNaN(b) {
			e = math.Inf(1)
		} else if math.IsNaN(a) || a == b {
			e = 0 // NaN in both, or equal infinities
		}
		sum += e
		d.MaxAbs = max(d.MaxAbs, e)
		if !math.IsInf(b, 0) && !math.IsNaN(b) {
			peak = max(peak, math.Abs(b))
		}
	}
	d.MaxRel = d.MaxAbs / max(1, peak)
	d.OK = d.MaxAbs <= tol.atol+tol.rtol*peak
	if len(ref.Data) > 0 {
		d.MeanAbs = sum / float64(len(ref.Data))
	}
	return d
}

// diffReport prints the table and returns the first failing row.
func writeDiffs(w io.Writer, rows []blobDiff, tol tolerance) *blobDiff {
	fmt.Fprintf(w, "%-34s %-18s %11s %11s %11s  %s\n", "blob", "shape", "max|diff|", "mean|diff|", "max rel", "status")
	var first *blobDiff
	for i := range rows {
		r := &rows[i]
		status := "ok"
		if !r.OK {
			status = "DIFFERS"
			if first == nil {
				first = r
				status = "DIFFERS (first)"
			}
		}
		if r.Note != "" {
			status += " " + r.Note
		}
		fmt.Fprintf(w, "%-34s %-18s %11.3g %11.3g %11.3g  %s\n", clip(r.Name, 34), clip(graph.Shape(r.Shape).String(), 18), r.MaxAbs, r.MeanAbs, r.MaxRel, status)
	}
	fmt.Fprintf(w, "%d blobs compared with atol %g, rtol %g\n", len(rows), tol.atol, tol.rtol)
	if first != nil {
		fmt.Fprintf(w, "first divergence: %s (max |diff| %.3g)\n", first.Name, first.MaxAbs)
	}
	return first
}

// randomInputs fills every input blob with U(−1, 1) from a seed.
func randomInputs(x *exec.Net, seed uint64) map[string]*graph.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	in := map[string]*graph.Tensor{}
	for _, v := range x.Inputs() {
		t := graph.NewTensor(v.Shape)
		for i := range t.Data {
			t.Data[i] = float32(rng.Float64()*2 - 1)
		}
		in[v.Blob] = t
	}
	return in
}

// snapshot copies every value's tensor after a forward pass, keyed by value.
func snapshot(x *exec.Net) map[*graph.Value]*graph.Tensor {
	m := map[*graph.Value]*graph.Tensor{}
	for _, v := range x.Graph().Values {
		if t := x.ValueTensor(v); t != nil {
			m[v] = t.Clone()
		}
	}
	return m
}

// pairValues matches the values of two nets for comparison, in a's
// execution order: final versions by blob name, and earlier in-place
// versions by (blob, version) when both nets hold the same number of
// versions of that blob (so the chains are alike).
func pairValues(a, b *graph.Graph) [][2]*graph.Value {
	count := func(g *graph.Graph) map[string]int {
		m := map[string]int{}
		for _, v := range g.Values {
			m[v.Blob]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	byName := map[string]*graph.Value{}
	for _, v := range b.Values {
		byName[v.Name()] = v
	}
	var out [][2]*graph.Value
	for _, v := range a.Values {
		if v.Producer == nil {
			continue
		}
		if a.Blob(v.Blob) == v {
			if w := b.Blob(v.Blob); w != nil {
				out = append(out, [2]*graph.Value{v, w})
			}
			continue
		}
		if ca[v.Blob] == cb[v.Blob] {
			if w := byName[v.Name()]; w != nil {
				out = append(out, [2]*graph.Value{v, w})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][0].Producer.Index < out[j][0].Producer.Index })
	return out
}
