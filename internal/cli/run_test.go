package cli

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

// grayNet is a 1-channel classifier with an in-place ReLU on a blob whose
// name holds a '/', so dumps exercise both naming rules. The negative bias
// makes the pre-ReLU version differ from the final one.
const grayNet = `name: "gray"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }
layer { name: "conv/a" type: "Convolution" bottom: "data" top: "conv/a"
  convolution_param { num_output: 4 kernel_size: 3
    weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "constant" value: -0.1 } } }
layer { name: "relu" type: "ReLU" bottom: "conv/a" top: "conv/a" }
layer { name: "fc" type: "InnerProduct" bottom: "conv/a" top: "fc"
  inner_product_param { num_output: 5 weight_filler { type: "xavier" } bias_filler { type: "uniform" min: -1 max: 1 } } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
`

// cliResult is one in-process run of caffetool.
type cliResult struct {
	code        int
	out, errOut string
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, nil, &out, &errb)
	if strings.Contains(errb.String(), "goroutine ") || strings.Contains(errb.String(), "panic") {
		t.Fatalf("caffetool %s panicked:\n%s", strings.Join(args, " "), errb.String())
	}
	return cliResult{code, out.String(), errb.String()}
}

// mustRun fails the test unless caffetool exits 0.
func mustRun(t *testing.T, args ...string) cliResult {
	t.Helper()
	r := runCLI(t, args...)
	if r.code != 0 {
		t.Fatalf("caffetool %s: exit %d\n%s", strings.Join(args, " "), r.code, r.errOut)
	}
	return r
}

// mustFail requires exit code want and one stderr line holding every
// substring of wants.
func mustFail(t *testing.T, want int, wants []string, args ...string) {
	t.Helper()
	r := runCLI(t, args...)
	if r.code != want {
		t.Fatalf("caffetool %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.out, r.errOut)
	}
	lines := strings.Split(strings.TrimSpace(r.errOut), "\n")
	last := lines[len(lines)-1] // warnings may come first
	if !strings.HasPrefix(last, "caffetool: ") {
		t.Errorf("last stderr line %q is not the error", last)
	}
	for _, w := range wants {
		if !strings.Contains(last, w) {
			t.Errorf("error %q lacks %q", last, w)
		}
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeNpy(t *testing.T, path string, shape graph.Shape, data []float32) string {
	t.Helper()
	if err := npy.Write(path, &graph.Tensor{Shape: shape, Data: data}); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadNpy(t *testing.T, path string) *graph.Tensor {
	t.Helper()
	x, err := npy.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// ramp gives n deterministic values in [-1, 1) that differ per seed.
func ramp(n int, seed float64) []float32 {
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(math.Sin(seed*7.3+float64(i)*0.37)*0.9 + 0.05*seed)
	}
	return d
}

// writeGrayPNG draws a w×h 8-bit gray image whose pattern depends on seed.
func writeGrayPNG(t *testing.T, path string, w, h, seed int) string {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetGray(x, y, color.Gray{Y: uint8((x*37 + y*11*seed + seed*53) % 256)})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
	return path
}

// initNet writes a prototxt into dir and weights for it made by `init`.
func initNet(t *testing.T, dir, name, text string, extra ...string) (prototxt, weights string) {
	t.Helper()
	prototxt = writeFile(t, dir, name+".prototxt", text)
	weights = filepath.Join(dir, name+".caffemodel")
	mustRun(t, append([]string{"init", prototxt, "-o", weights}, extra...)...)
	return prototxt, weights
}

// jsonResult mirrors run --json's per-input, per-blob record.
type jsonResult struct {
	Input string `json:"input"`
	Blob  string `json:"blob"`
	Shape []int  `json:"shape"`
	Top   []struct {
		Index int     `json:"index"`
		Label string  `json:"label"`
		Score float64 `json:"score"`
	} `json:"top"`
	Detections []struct {
		Class int     `json:"class"`
		Score float64 `json:"score"`
		Box   [4]any  `json:"box"`
	} `json:"detections"`
}

func runJSON(t *testing.T, args ...string) []jsonResult {
	t.Helper()
	r := mustRun(t, append(args, "--json")...)
	var res []jsonResult
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.out)
	}
	return res
}

// topScores runs a classifier with --json --top k and returns, per
// result, the full score vector rebuilt from the k ranked entries.
func topScores(t *testing.T, k int, args ...string) [][]float64 {
	t.Helper()
	var out [][]float64
	for _, r := range runJSON(t, append(args, "--top", strconv.Itoa(k))...) {
		s := make([]float64, k)
		for _, e := range r.Top {
			s[e.Index] = e.Score
		}
		out = append(out, s)
	}
	return out
}

func maxDiff(a, b []float64) float64 {
	d := math.Inf(1)
	if len(a) == len(b) {
		d = 0
		for i := range a {
			d = max(d, math.Abs(a[i]-b[i]))
		}
	}
	return d
}

// rankedLine is one "score index label" line of run's text output.
type rankedLine struct {
	score float64
	index int
	label string
}

// parseRanked reads run's text output for one classifier result.
func parseRanked(t *testing.T, out string) (header string, rows []rankedLine) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header = lines[0]
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("ranked line %q: want score, index, label", l)
		}
		s, err1 := strconv.ParseFloat(f[0], 64)
		i, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("ranked line %q does not parse", l)
		}
		rows = append(rows, rankedLine{s, i, strings.Join(f[2:], " ")})
	}
	return header, rows
}

// TestRunClassifierText: the example net with a labels file prints the
// requested number of ranked labels, best first, each the label file's
// line for its index.
func TestRunClassifierText(t *testing.T) {
	dir := t.TempDir()
	proto := filepath.Join("..", "..", "testdata", "example", "tinynet.prototxt")
	weights := filepath.Join(dir, "tiny.caffemodel")
	mustRun(t, "init", proto, "-o", weights, "--random-bn-stats")
	img := filepath.Join("..", "..", "testdata", "preprocess", "cat48x36.png")
	labelsFile := filepath.Join("..", "..", "testdata", "example", "labels.txt")
	labels, err := readLabels(labelsFile)
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, "run", proto, weights, img, "--labels", labelsFile, "--top", "3", "--mean", "104,117,123", "--scale", "0.0078")
	header, rows := parseRanked(t, r.out)
	if header != img+": prob" {
		t.Errorf("header %q", header)
	}
	if len(rows) != 3 {
		t.Fatalf("%d ranked rows, want 3:\n%s", len(rows), r.out)
	}
	seen := map[int]bool{}
	for i, row := range rows {
		if row.label != labels[row.index] {
			t.Errorf("row %d: index %d labelled %q, labels.txt says %q", i, row.index, row.label, labels[row.index])
		}
		if seen[row.index] {
			t.Errorf("index %d ranked twice", row.index)
		}
		seen[row.index] = true
		if i > 0 && row.score > rows[i-1].score {
			t.Errorf("scores not descending: %v", rows)
		}
	}
	// The text ranking is the JSON ranking.
	res := runJSON(t, "run", proto, weights, img, "--labels", labelsFile, "--top", "10", "--mean", "104,117,123", "--scale", "0.0078")
	if len(res) != 1 || len(res[0].Top) != 10 || res[0].Blob != "prob" || len(res[0].Shape) != 1 || res[0].Shape[0] != 10 {
		t.Fatalf("json = %+v", res)
	}
	sum := 0.0
	for i, e := range res[0].Top {
		sum += e.Score
		if i < 3 && (e.Index != rows[i].index || math.Abs(e.Score-rows[i].score) > 5e-5) {
			t.Errorf("json rank %d = %d (%g), text says %d (%g)", i, e.Index, e.Score, rows[i].index, rows[i].score)
		}
	}
	if math.Abs(sum-1) > 1e-5 {
		t.Errorf("softmax of all 10 classes sums to %g", sum)
	}
}

// TestRunDump: --dump writes the final value of every blob as <blob>.npy
// ('/' → "__") and each earlier in-place version as <blob>@<k>.npy, with
// the values the layers computed.
func TestRunDump(t *testing.T) {
	dir := t.TempDir()
	proto, weights := initNet(t, dir, "gray", grayNet)
	in := writeNpy(t, filepath.Join(dir, "x.npy"), graph.Shape{1, 1, 8, 8}, ramp(64, 1))
	dump := filepath.Join(dir, "dump")
	res := runJSON(t, "run", proto, weights, in, "--dump", dump, "--top", "5")
	ents, err := os.ReadDir(dump)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"conv__a.npy", "conv__a@0.npy", "data.npy", "fc.npy", "prob.npy"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("dump holds %v, want %v", names, want)
	}
	data := loadNpy(t, filepath.Join(dump, "data.npy"))
	if !data.Shape.Equal(graph.Shape{1, 1, 8, 8}) || maxDiff(f64(data.Data), f64(ramp(64, 1))) != 0 {
		t.Errorf("data.npy is not the input")
	}
	pre := loadNpy(t, filepath.Join(dump, "conv__a@0.npy"))
	post := loadNpy(t, filepath.Join(dump, "conv__a.npy"))
	if !pre.Shape.Equal(graph.Shape{1, 4, 6, 6}) || !post.Shape.Equal(pre.Shape) {
		t.Fatalf("conv shapes %v, %v", pre.Shape, post.Shape)
	}
	negatives := 0
	for i, v := range pre.Data {
		if v < 0 {
			negatives++
		}
		if post.Data[i] != max(v, 0) {
			t.Fatalf("conv__a[%d] = %g, want ReLU(%g)", i, post.Data[i], v)
		}
	}
	if negatives == 0 || negatives == len(pre.Data) {
		t.Errorf("%d of %d pre-ReLU values negative: the two versions are not told apart", negatives, len(pre.Data))
	}
	fc := loadNpy(t, filepath.Join(dump, "fc.npy"))
	prob := loadNpy(t, filepath.Join(dump, "prob.npy"))
	if !fc.Shape.Equal(graph.Shape{1, 5}) || !prob.Shape.Equal(fc.Shape) {
		t.Fatalf("fc %v prob %v", fc.Shape, prob.Shape)
	}
	if d := maxDiff(f64(prob.Data), softmax(f64(fc.Data))); d > 1e-6 {
		t.Errorf("prob.npy is not softmax(fc.npy): max diff %g", d)
	}
	// What run printed is what it dumped.
	for _, e := range res[0].Top {
		if math.Abs(e.Score-float64(prob.Data[e.Index])) > 1e-7 {
			t.Errorf("printed score %d = %g, dumped %g", e.Index, e.Score, prob.Data[e.Index])
		}
	}
}

func f64(d []float32) []float64 {
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = float64(v)
	}
	return out
}

func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	out := make([]float64, len(x))
	sum := 0.0
	for i, v := range x {
		out[i] = math.Exp(v - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// TestRunNpyBatchReshape: an array with another batch size reshapes the
// net; each sample's result equals the result of running it alone (given
// without its batch axis, or as blob=file.npy).
func TestRunNpyBatchReshape(t *testing.T) {
	dir := t.TempDir()
	proto, weights := initNet(t, dir, "gray", grayNet)
	var all []float32
	var single [][]float64
	for i := 0; i < 3; i++ {
		d := ramp(64, float64(i+2))
		all = append(all, d...)
		p := writeNpy(t, filepath.Join(dir, "s"+strconv.Itoa(i)+".npy"), graph.Shape{1, 8, 8}, d) // no batch axis
		single = append(single, topScores(t, 5, "run", proto, weights, p)[0])
	}
	batch := writeNpy(t, filepath.Join(dir, "batch.npy"), graph.Shape{3, 1, 8, 8}, all)
	res := runJSON(t, "run", proto, weights, batch)
	if len(res) != 3 {
		t.Fatalf("%d results for a batch of 3", len(res))
	}
	if res[0].Input != batch || res[1].Input != "#1" || res[2].Input != "#2" {
		t.Errorf("inputs named %q %q %q", res[0].Input, res[1].Input, res[2].Input)
	}
	got := topScores(t, 5, "run", proto, weights, batch)
	for i := range got {
		if d := maxDiff(got[i], single[i]); d > 1e-6 {
			t.Errorf("sample %d: batched scores differ from the single run by %g", i, d)
		}
	}
	if maxDiff(single[0], single[1]) < 1e-4 {
		t.Errorf("different inputs gave the same scores %v: the comparison proves nothing", single[0])
	}
	// blob=file.npy feeds the named input.
	named := topScores(t, 5, "run", proto, weights, "data="+batch)
	if len(named) != 3 || maxDiff(named[2], single[2]) > 1e-6 {
		t.Errorf("data=batch.npy gave %v", named)
	}
	r := runJSON(t, "run", proto, weights, "data="+batch)
	if r[0].Input != "data="+batch {
		t.Errorf("named input reported as %q", r[0].Input)
	}
}

// TestRunDirectoryBatches: a directory's images go through in batches of
// --batch (the last one smaller), in file-name order, each with the
// result it gets alone; dumps of several batches go to numbered folders.
func TestRunDirectoryBatches(t *testing.T) {
	dir := t.TempDir()
	proto, weights := initNet(t, dir, "gray", grayNet)
	imgs := filepath.Join(dir, "imgs")
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i, name := range []string{"c.png", "a.png", "b.png"} {
		paths = append(paths, writeGrayPNG(t, filepath.Join(imgs, name), 8, 8, i+1))
	}
	writeFile(t, imgs, "notes.txt", "not an image") // skipped
	sort.Strings(paths)
	dump := filepath.Join(dir, "dump")
	res := runJSON(t, "run", proto, weights, imgs, "--batch", "2", "--dump", dump, "--top", "5")
	if len(res) != 3 {
		t.Fatalf("%d results for 3 images", len(res))
	}
	batched := topScores(t, 5, "run", proto, weights, imgs, "--batch", "2")
	for i, p := range paths {
		if res[i].Input != p {
			t.Errorf("result %d is for %q, want %q", i, res[i].Input, p)
		}
		alone := topScores(t, 5, "run", proto, weights, p)[0]
		if d := maxDiff(batched[i], alone); d > 1e-6 {
			t.Errorf("%s: batched scores differ from the single run by %g", p, d)
		}
	}
	for k, n := range map[string]int{"0": 2, "1": 1} {
		d := loadNpy(t, filepath.Join(dump, k, "data.npy"))
		if d.Shape[0] != n {
			t.Errorf("dump %s: data has batch %d, want %d", k, d.Shape[0], n)
		}
	}
	// A gray image also feeds a 3-channel net (channels repeated).
	tiny := filepath.Join("..", "..", "testdata", "example", "tinynet.prototxt")
	tw := filepath.Join(dir, "tiny.caffemodel")
	mustRun(t, "init", tiny, "-o", tw)
	mustRun(t, "run", tiny, tw, paths[0])
}

// TestRunBadInputs: inputs that cannot feed the net, and layers exec does
// not run, give one error line naming the problem, exit 1, no panic.
func TestRunBadInputs(t *testing.T) {
	dir := t.TempDir()
	proto, weights := initNet(t, dir, "gray", grayNet)
	wrongC := writeNpy(t, filepath.Join(dir, "c3.npy"), graph.Shape{1, 3, 8, 8}, make([]float32, 192))
	mustFail(t, ExitError, []string{"data 1x3x8x8", "1x1x8x8", `layer "conv/a"`}, "run", proto, weights, wrongC)
	wrongHW := writeNpy(t, filepath.Join(dir, "hw.npy"), graph.Shape{1, 1, 9, 9}, make([]float32, 81))
	mustFail(t, ExitError, []string{"data 1x1x9x9", `layer "fc"`}, "run", proto, weights, wrongHW)
	wrongRank := writeNpy(t, filepath.Join(dir, "rank.npy"), graph.Shape{8, 8}, make([]float32, 64))
	mustFail(t, ExitError, []string{"rank.npy", "8x8", "does not fit input blob data"}, "run", proto, weights, wrongRank)
	mustFail(t, ExitUsage, []string{"nope", "not an input blob"}, "run", proto, weights, "nope="+wrongRank)
	mustFail(t, ExitError, []string{"not-there.png"}, "run", proto, weights, filepath.Join(dir, "not-there.png"))

	// Images can be converted between gray and colour, but not to four
	// channels.
	four, fourW := initNet(t, dir, "four", `name: "four"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 1 } }
`)
	img := writeGrayPNG(t, filepath.Join(dir, "g.png"), 8, 8, 1)
	mustFail(t, ExitError, []string{"g.png", "1 channels", "wants 4"}, "run", four, fourW, img)

	// Layers exec cannot run.
	lstm, lstmW := initNet(t, dir, "lstm", `name: "lstm"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 3 dim: 1 dim: 4 } } }
layer { name: "cont" type: "Input" top: "cont" input_param { shape { dim: 3 dim: 1 } } }
layer { name: "lstm1" type: "LSTM" bottom: "data" bottom: "cont" top: "h"
  recurrent_param { num_output: 5 weight_filler { type: "uniform" } } }
`)
	x := writeNpy(t, filepath.Join(dir, "seq.npy"), graph.Shape{3, 1, 4}, make([]float32, 12))
	mustFail(t, ExitError, []string{`layer "lstm1"`, "LSTM", "cannot be run"}, "run", lstm, lstmW, "data="+x)

	py := writeFile(t, dir, "py.prototxt", `name: "py"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }
layer { name: "mypy" type: "Python" bottom: "data" top: "out" python_param { module: "m" layer: "L" } }
`)
	// Its top's shape is the Python code's business: without --input the
	// shape is unknown, with it the layer still cannot run.
	mustFail(t, ExitError, []string{`layer "mypy"`, "Python"}, "run", py, weights, img)
	mustFail(t, ExitError, []string{`layer "mypy"`, "Python", "cannot be run"}, "run", py, weights, img, "--input", "out=1,1,8,8")

	// ENet's fork BN layer: unknown to BVLC Caffe, so nothing about it can
	// be inferred. The weights come from a net with the same input layer.
	bn := writeFile(t, dir, "bn.prototxt", `name: "bn"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }
layer { name: "bn1" type: "BN" bottom: "data" top: "bn1" }
`)
	mustFail(t, ExitError, []string{`layer "bn1"`, `"BN"`}, "run", bn, weights, img)
}

// TestRunRealNets classifies with real trained weights: LeNet on digits we
// rendered, and the CIFAR-10 quick net on the three images of its example.
func TestRunRealNets(t *testing.T) {
	zoo := filepath.Join(sharedDir(t), "zoo")
	t.Run("lenet", func(t *testing.T) {
		digits := filepath.Join("..", "..", "testdata", "digits")
		// LeNet's train net scales 0..255 gray by 1/256; white on black.
		res := runJSON(t, "run", filepath.Join(zoo, "mnist_lenet", "lenet.prototxt"),
			filepath.Join(zoo, "mnist_lenet", "lenet_iter_10000.caffemodel"), digits,
			"--scale", "0.00390625", "--top", "1")
		if len(res) != 10 {
			t.Fatalf("%d results for 10 digits", len(res))
		}
		right := 0
		for _, r := range res {
			want, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(r.Input), ".png"))
			if r.Top[0].Index == want {
				right++
			} else {
				t.Logf("%s classified as %d (%.3f)", r.Input, r.Top[0].Index, r.Top[0].Score)
			}
		}
		if right < 9 {
			t.Errorf("%d of 10 digits right, want at least 9", right)
		}
	})
	t.Run("cifar10_quick", func(t *testing.T) {
		// The example's mean.binaryproto is not published; the per-channel
		// mean of the CIFAR-10 training set (B, G, R) stands in for it.
		dir := filepath.Join(zoo, "cifar10_quick_v1weights")
		imgs := []string{filepath.Join(dir, "dog10.png"), filepath.Join(dir, "cat10.png"), filepath.Join(dir, "truck10.png")}
		args := append([]string{"run", filepath.Join(zoo, "cifar10", "cifar10_quick.prototxt"),
			filepath.Join(dir, "cifar10_quick_iter_5000.caffemodel")}, imgs...)
		args = append(args, "--preset", "opencv", "--mean", "113.9,123.0,125.3",
			"--labels", filepath.Join("..", "..", "testdata", "example", "labels.txt"), "--top", "1")
		res := runJSON(t, args...)
		if len(res) != 3 {
			t.Fatalf("%d results for 3 images", len(res))
		}
		for _, r := range res {
			want := strings.TrimSuffix(filepath.Base(r.Input), "10.png")
			if r.Top[0].Label != want {
				t.Errorf("%s classified as %q (%.3f), want %q", r.Input, r.Top[0].Label, r.Top[0].Score, want)
			}
		}
	})
}

// TestRunImageNetClassifier: GoogLeNet with init weights on the cat photo
// prints five ranked ImageNet labels from synset_words.txt.
func TestRunImageNetClassifier(t *testing.T) {
	zoo := filepath.Join(sharedDir(t), "zoo")
	dir := t.TempDir()
	proto := filepath.Join(zoo, "bvlc_googlenet", "deploy.prototxt")
	weights := filepath.Join(dir, "googlenet.caffemodel")
	mustRun(t, "init", proto, "-o", weights)
	labelsFile := filepath.Join(zoo, "imagenet_labels", "synset_words.txt")
	labels, err := readLabels(labelsFile)
	if err != nil || len(labels) != 1000 {
		t.Fatalf("labels: %d, %v", len(labels), err)
	}
	cat := filepath.Join(zoo, "images", "cat.jpg")
	r := mustRun(t, "run", proto, weights, cat, "--labels", labelsFile, "--top", "5", "--mean", "104,117,123")
	header, rows := parseRanked(t, r.out)
	if header != cat+": prob" || len(rows) != 5 {
		t.Fatalf("output:\n%s", r.out)
	}
	for i, row := range rows {
		if row.label != labels[row.index] || (i > 0 && row.score > rows[i-1].score) {
			t.Errorf("row %d: %+v", i, row)
		}
	}
	// The fillers are random, so no class stands out much, but they are
	// not uniform either.
	if rows[0].score <= rows[4].score || rows[0].score > 0.5 {
		t.Errorf("scores %v", rows)
	}
}

// TestRunZeroFilledNet: SqueezeNet's deploy file has no fillers, so init
// gives Caffe's default constant-0 parameters and every class gets
// exactly 1/1000 (ties keep index order).
func TestRunZeroFilledNet(t *testing.T) {
	zoo := filepath.Join(sharedDir(t), "zoo")
	dir := t.TempDir()
	proto := filepath.Join(zoo, "squeezenet_v1.1", "deploy.prototxt")
	weights := filepath.Join(dir, "sq.caffemodel")
	mustRun(t, "init", proto, "-o", weights)
	res := runJSON(t, "run", proto, weights, filepath.Join(zoo, "images", "cat.jpg"),
		"--labels", filepath.Join(zoo, "imagenet_labels", "synset_words.txt"), "--top", "5")
	for i, e := range res[0].Top {
		if e.Index != i || math.Abs(e.Score-0.001) > 1e-9 || !strings.HasPrefix(e.Label, "n0") {
			t.Errorf("rank %d: %+v", i, e)
		}
	}
}

// TestRunFaceDetector: the OpenCV SSD face detector runs through
// PriorBox and DetectionOutput and prints its detections.
func TestRunFaceDetector(t *testing.T) {
	zoo := filepath.Join(sharedDir(t), "zoo")
	dir := t.TempDir()
	proto := filepath.Join(zoo, "opencv_face_detector", "deploy.prototxt")
	weights := filepath.Join(dir, "face.caffemodel")
	mustRun(t, "init", proto, "-o", weights, "--random-bn-stats")
	cat := filepath.Join(zoo, "images", "cat.jpg")
	args := []string{"run", proto, weights, cat, "--preset", "opencv", "--mean", "104,177,123"}
	r := mustRun(t, args...)
	first := strings.SplitN(r.out, "\n", 2)[0]
	if !strings.HasPrefix(first, cat+": detection_out: ") || !strings.HasSuffix(first, " detections") {
		t.Fatalf("first line %q", first)
	}
	res := runJSON(t, args...)
	if len(res) != 1 || res[0].Blob != "detection_out" || len(res[0].Detections) == 0 || len(res[0].Detections) > 200 {
		t.Fatalf("json: %d results, %d detections", len(res), len(res[0].Detections))
	}
	for i, d := range res[0].Detections {
		// Class 0 is the background, which DetectionOutput never reports;
		// scores pass confidence_threshold 0.01.
		if d.Class != 1 || d.Score < 0.01 || d.Score > 1 {
			t.Errorf("detection %d: %+v", i, d)
		}
	}
}

// TestRunJSONNonFinite: outputs that overflow (an untrained SSD's boxes
// with Caffe's zero BatchNorm statistics) still make valid JSON.
func TestRunJSONNonFinite(t *testing.T) {
	dir := t.TempDir()
	proto, weights := initNet(t, dir, "big", `name: "big"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 } } }
layer { name: "exp" type: "Exp" bottom: "data" top: "exp" }
`)
	x := writeNpy(t, filepath.Join(dir, "x.npy"), graph.Shape{1, 3}, []float32{1000, float32(math.NaN()), 0})
	r := mustRun(t, "run", proto, weights, x, "--json")
	var raw []struct {
		Top []struct{ Score any } `json:"top"`
	}
	if err := json.Unmarshal([]byte(r.out), &raw); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if len(raw) != 1 || len(raw[0].Top) != 3 {
		t.Fatalf("json: %+v", raw)
	}
	if !strings.Contains(r.out, `"+Inf"`) || !strings.Contains(r.out, `"NaN"`) {
		t.Errorf("non-finite scores not written as strings:\n%s", r.out)
	}
}
