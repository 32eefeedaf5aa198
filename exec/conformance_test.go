package exec_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

// confCase is the part of a conformance case.json the runner needs.
type confCase struct {
	Name           string   `json:"name"`
	Inputs         []string `json:"inputs"`
	Outputs        []string `json:"outputs"`
	Weights        *string  `json:"weights"`
	AutoSplitBlobs []string `json:"auto_split_blobs"`
	Tolerance      struct {
		MeanAbs   float64  `json:"mean_abs"`
		MaxAbsRel float64  `json:"max_abs_rel"`
		Exact     []string `json:"exact"`
	} `json:"tolerance"`
}

// The cases copied into testdata run on every test run.
func TestConformanceTestdata(t *testing.T) {
	runConformance(t, filepath.Join("..", "testdata", "conformance"))
}

// The full set runs when CAFFETOOL_SHARED points at the shared data.
func TestConformanceShared(t *testing.T) {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("CAFFETOOL_SHARED not set; the full Caffe conformance set is skipped")
	}
	runConformance(t, filepath.Join(root, "conformance", "layers"))
}

func runConformance(t *testing.T, dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ledger []string
	failed := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		caseDir := filepath.Join(dir, e.Name())
		var detail string
		ok := t.Run(e.Name(), func(t *testing.T) {
			msgs, err := runCase(caseDir)
			detail = strings.Join(msgs, "; ")
			if err != nil {
				t.Error(err)
				detail = err.Error()
			}
		})
		status := "pass"
		if !ok {
			status, failed = "FAIL", failed+1
		}
		ledger = append(ledger, fmt.Sprintf("%-4s %-42s %s", status, e.Name(), detail))
	}
	sort.Strings(ledger)
	t.Logf("conformance %s: %d cases, %d failed\n%s", dir, len(ledger), failed, strings.Join(ledger, "\n"))
}

// runCase loads, runs and compares one case. It returns one note per
// compared blob (worst relative error) or the first problem found.
func runCase(dir string) ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		return nil, err
	}
	var c confCase
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("case.json: %v", err)
	}
	weights := ""
	if c.Weights != nil {
		weights = filepath.Join(dir, *c.Weights)
	}
	loaded, err := caffe.Load(filepath.Join(dir, "net.prototxt"), weights, caffe.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("load: %v", err)
	}
	g := loaded.Graph
	if err := g.InferShapes(nil); err != nil {
		return nil, fmt.Errorf("infer shapes: %v", err)
	}
	inputs := map[string]*graph.Tensor{}
	for _, name := range c.Inputs {
		x, err := npy.Read(filepath.Join(dir, "inputs", name+".npy"))
		if err != nil {
			return nil, err
		}
		inputs[name] = x
	}
	// Once keeping every compared blob, then with the runtime free to reuse
	// buffers and fuse layers, where only the net's outputs stay readable.
	var keep []string
	for _, name := range c.Outputs {
		if !slices.Contains(c.AutoSplitBlobs, name) {
			keep = append(keep, name)
		}
	}
	notes, err := compareCase(dir, c, g, inputs, exec.Options{Keep: keep}, nil)
	if err != nil {
		return notes, err
	}
	isOutput := map[string]bool{}
	for _, v := range g.Outputs() {
		isOutput[v.Blob] = true
	}
	if _, err := compareCase(dir, c, g, inputs, exec.Options{}, isOutput); err != nil {
		return notes, fmt.Errorf("with buffer reuse and fusion: %v", err)
	}
	return notes, nil
}

// compareCase compiles g with opts, runs it and compares the case's
// outputs (only those in only, when not nil) with Caffe's.
func compareCase(dir string, c confCase, g *graph.Graph, inputs map[string]*graph.Tensor, opts exec.Options, only map[string]bool) ([]string, error) {
	net, err := exec.Compile(g, opts)
	if err != nil {
		return nil, fmt.Errorf("compile: %v", err)
	}
	if err := net.Forward(inputs); err != nil {
		return nil, fmt.Errorf("forward: %v", err)
	}
	skip := map[string]bool{}
	for _, b := range c.AutoSplitBlobs {
		skip[b] = true
	}
	exact := map[string]bool{}
	for _, b := range c.Tolerance.Exact {
		exact[b] = true
	}
	var notes, problems []string
	for _, name := range c.Outputs {
		if skip[name] || (only != nil && !only[name]) {
			continue
		}
		want, err := npy.Read(filepath.Join(dir, "outputs", name+".npy"))
		if err != nil {
			return nil, err
		}
		got := net.Blob(name)
		if got == nil {
			problems = append(problems, fmt.Sprintf("%s: no such blob", name))
			continue
		}
		if !got.Shape.Equal(want.Shape) {
			problems = append(problems, fmt.Sprintf("%s: shape %v, Caffe %v", name, got.Shape, want.Shape))
			continue
		}
		if exact[name] {
			if i := firstBitDiff(got.Data, want.Data); i >= 0 {
				problems = append(problems, fmt.Sprintf("%s: not bit-exact at %d: %v, Caffe %v", name, i, got.Data[i], want.Data[i]))
			} else {
				notes = append(notes, name+" exact")
			}
			continue
		}
		mean, worst, at := relErr(got.Data, want.Data)
		if !(mean <= c.Tolerance.MeanAbs) || !(worst <= c.Tolerance.MaxAbsRel) {
			problems = append(problems, fmt.Sprintf("%s: mean rel %.3g (limit %g), max rel %.3g at %d: %v, Caffe %v",
				name, mean, c.Tolerance.MeanAbs, worst, at, got.Data[at], want.Data[at]))
			continue
		}
		notes = append(notes, fmt.Sprintf("%s max %.2g", name, worst))
	}
	if len(problems) > 0 {
		return notes, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return notes, nil
}

// relErr is the README's rule: r = |got-ref| / max(1, |ref|); it returns
// mean(r), max(r) and where the max is. NaN counts as an infinite error.
func relErr(got, want []float32) (mean, worst float64, at int) {
	if len(got) == 0 {
		return 0, 0, 0
	}
	var sum float64
	for i := range got {
		r := math.Abs(float64(got[i])-float64(want[i])) / math.Max(1, math.Abs(float64(want[i])))
		if math.IsNaN(r) {
			r = math.Inf(1)
		}
		sum += r
		if r > worst || i == 0 {
			worst, at = r, i
		}
	}
	return sum / float64(len(got)), worst, at
}

func firstBitDiff(got, want []float32) int {
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i
		}
	}
	return -1
}
