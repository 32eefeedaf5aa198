package cli

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

// fbRun runs caffetool in-process and returns the exit code and streams.
func fbRun(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

// fbNet writes text as dir/name.prototxt and fills its weights with
// `caffetool init --random-bn-stats`, so BatchNorm folds are not trivial.
func fbNet(t testing.TB, dir, name, text string, seed int) (prototxt, weights string) {
	t.Helper()
	prototxt = filepath.Join(dir, name+".prototxt")
	weights = filepath.Join(dir, name+".caffemodel")
	if err := os.WriteFile(prototxt, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := fbRun(t, "init", prototxt, "-o", weights, "--random-bn-stats", "--seed", strconv.Itoa(seed)); code != 0 {
		t.Fatalf("init %s: exit %d: %s", name, code, errs)
	}
	return prototxt, weights
}

func fbHash(t testing.TB, paths ...string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p] = sha256.Sum256(b)
	}
	return m
}

// fbUnchanged fails when any input file changed since fbHash.
func fbUnchanged(t testing.TB, before map[string][32]byte) {
	t.Helper()
	for p, h := range before {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("input %s: %v", p, err)
			continue
		}
		if sha256.Sum256(b) != h {
			t.Errorf("input %s was modified", p)
		}
	}
}

// fbLoad loads a net with weights that must match it exactly and infers
// its shapes.
func fbLoad(t testing.TB, prototxt, weights string) *caffe.Net {
	t.Helper()
	net, err := caffe.Load(prototxt, weights, caffe.LoadOptions{})
	if err != nil {
		t.Fatalf("load %s + %s: %v", prototxt, weights, err)
	}
	if net.Report != nil && (len(net.Report.Missing) > 0 || len(net.Report.Unused) > 0 || len(net.Report.Mismatch) > 0) {
		t.Fatalf("%s: weights do not match the net: missing %v unused %v mismatch %v", weights, net.Report.Missing, net.Report.Unused, net.Report.Mismatch)
	}
	if err := net.Graph.InferShapes(nil); err != nil {
		t.Fatalf("%s: %v", prototxt, err)
	}
	return net
}

// fbForward runs a net on U(−1,1) inputs from seed (its own generator, not
// the CLI's) and returns the final value of every net output.
func fbForward(t testing.TB, net *caffe.Net, seed uint64) map[string]*graph.Tensor {
	t.Helper()
	x, err := exec.Compile(net.Graph, exec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	in := map[string]*graph.Tensor{}
	for _, v := range x.Inputs() {
		tt := graph.NewTensor(v.Shape)
		for i := range tt.Data {
			tt.Data[i] = float32(rng.Float64()*2 - 1)
		}
		in[v.Blob] = tt
	}
	if err := x.Forward(in); err != nil {
		t.Fatal(err)
	}
	out := map[string]*graph.Tensor{}
	for _, v := range x.Outputs() {
		out[v.Blob] = x.Blob(v.Blob).Clone()
	}
	return out
}

// fbMaxDiff returns max|a−b| and max|b| over two same-shaped tensors.
func fbMaxDiff(t testing.TB, name string, a, b *graph.Tensor) (diff, peak float64) {
	t.Helper()
	if a == nil || b == nil || !a.Shape.Equal(b.Shape) {
		t.Fatalf("%s: tensors differ in presence or shape", name)
	}
	for i := range a.Data {
		d := math.Abs(float64(a.Data[i]) - float64(b.Data[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		diff = max(diff, d)
		peak = max(peak, math.Abs(float64(b.Data[i])))
	}
	return diff, peak
}

func fbCountTypes(g *graph.Graph) (bn, scale int) {
	for _, n := range g.Nodes {
		switch n.Op.(type) {
		case *graph.BatchNorm:
			bn++
		case *graph.Scale:
			scale++
		}
	}
	return
}

var fbSummary = regexp.MustCompile(`(?m)^(\d+) BatchNorm/Scale layer\(s\) folded, (\d+) left$`)

// fbFolded parses fuse-bn's summary line.
func fbFolded(t testing.TB, out string) (folded, left int) {
	t.Helper()
	m := fbSummary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in output:\n%s", out)
	}
	folded, _ = strconv.Atoi(m[1])
	left, _ = strconv.Atoi(m[2])
	return folded, left
}

// fbTable parses the rows of a comparison table: blob name → max|diff| and
// max rel, plus the status of each row.
type fbRow struct {
	maxAbs, maxRel float64
	status         string
}

func fbTable(t testing.TB, out string) map[string]fbRow {
	t.Helper()
	rows := map[string]fbRow{}
	in := false
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "blob ") && strings.Contains(l, "max|diff|") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if strings.Contains(l, " blobs compared with ") {
			in = false
			continue
		}
		// The name column is 34 runes wide (long names are clipped with "…").
		rs := []rune(l)
		if len(rs) < 34 {
			continue
		}
		name := strings.TrimSpace(string(rs[:34]))
		f := strings.Fields(string(rs[34:]))
		if len(f) < 5 {
			t.Fatalf("malformed table row %q", l)
		}
		a, err1 := strconv.ParseFloat(f[1], 64)
		r, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("malformed table row %q", l)
		}
		rows[name] = fbRow{maxAbs: a, maxRel: r, status: strings.Join(f[4:], " ")}
	}
	return rows
}

const fbInput = `layer { name: "data" type: "Input" top: "data" input_param { shape { %s } } }
`

func fbInputDims(dims ...int) string {
	var s []string
	for _, d := range dims {
		s = append(s, fmt.Sprintf("dim: %d", d))
	}
	return fmt.Sprintf(fbInput, strings.Join(s, " "))
}

// Scale layers get non-trivial γ and β from their fillers.
const fbScaleParam = `scale_param { bias_term: true filler { type: "uniform" min: 0.5 max: 1.5 } bias_filler { type: "uniform" min: -1 max: 1 } }`

type fbCase struct {
	name string
	net  string
	args []string
	// wantLines must appear in stdout (the folded/refused table).
	wantLines []string
	folded    int
	left      int
	// gone are layers absent from the written prototxt, stay are present.
	gone, stay []string
	// biased are producers that must have bias_term true afterwards.
	biased []string
	// tops: layer → its single top in the written prototxt.
	tops map[string]string
}

var fbCases = []fbCase{
	{
		name: "conv_bn_scale_inplace",
		net: fbInputDims(2, 3, 8, 8) + `
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 4 bias_term: false kernel_size: 3 pad: 1 weight_filler { type: "gaussian" std: 0.5 } } }
layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" }
layer { name: "scale" type: "Scale" bottom: "conv" top: "conv" ` + fbScaleParam + ` }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
`,
		wantLines: []string{
			"fuse-batchnorm: 1 folded, 0 refused, 0 removed",
			"folded bn → scale into conv (added a bias",
			"renamed conv#3 → conv#1",
		},
		folded: 2, left: 0,
		gone: []string{"bn", "scale"}, stay: []string{"conv", "relu"},
		biased: []string{"conv"},
		tops:   map[string]string{"conv": "conv", "relu": "conv"},
	},
	{
		name: "conv_bn_scale_distinct_tops",
		net: fbInputDims(2, 3, 8, 8) + `
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv_out"
  convolution_param { num_output: 5 kernel_size: 3 stride: 2 weight_filler { type: "xavier" } bias_filler { type: "uniform" min: -1 max: 1 } } }
layer { name: "bn" type: "BatchNorm" bottom: "conv_out" top: "bn_out" batch_norm_param { eps: 0.001 } }
layer { name: "scale" type: "Scale" bottom: "bn_out" top: "scale_out" ` + fbScaleParam + ` }
layer { name: "relu" type: "ReLU" bottom: "scale_out" top: "relu_out" }
`,
		wantLines: []string{"folded bn → scale into conv"},
		folded:    2, left: 0,
		gone: []string{"bn", "scale"}, stay: []string{"conv", "relu"},
		biased: []string{"conv"},
		tops:   map[string]string{"conv": "scale_out", "relu": "relu_out"},
	},
	{
		name: "deconv_group2",
		net: fbInputDims(1, 4, 5, 5) + `
layer { name: "up" type: "Deconvolution" bottom: "data" top: "up"
  convolution_param { num_output: 6 group: 2 kernel_size: 3 stride: 2 pad: 1 weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "uniform" min: -1 max: 1 } } }
layer { name: "up_bn" type: "BatchNorm" bottom: "up" top: "up" }
layer { name: "up_scale" type: "Scale" bottom: "up" top: "up" ` + fbScaleParam + ` }
`,
		wantLines: []string{"folded up_bn → up_scale into up"},
		folded:    2, left: 0,
		gone: []string{"up_bn", "up_scale"}, stay: []string{"up"},
		biased: []string{"up"},
		tops:   map[string]string{"up": "up"},
	},
	{
		name: "innerproduct_transpose",
		net: fbInputDims(3, 10) + `
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
  inner_product_param { num_output: 7 transpose: true weight_filler { type: "gaussian" std: 0.5 } bias_term: false } }
layer { name: "fc_bn" type: "BatchNorm" bottom: "fc" top: "fc" }
layer { name: "fc_scale" type: "Scale" bottom: "fc" top: "fc" ` + fbScaleParam + ` }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
`,
		wantLines: []string{"folded fc_bn → fc_scale into fc (added a bias"},
		folded:    2, left: 0,
		gone: []string{"fc_bn", "fc_scale"}, stay: []string{"fc", "prob"},
		biased: []string{"fc"},
		tops:   map[string]string{"fc": "fc", "prob": "prob"},
	},
	{
		// conv's output also feeds "side": folding would change what side
		// reads, so bn is refused and scale (fed by bn) too. The second
		// chain in the same net still folds.
		name: "branch_refused",
		net: fbInputDims(1, 3, 6, 6) + `
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 4 kernel_size: 1 weight_filler { type: "gaussian" std: 0.5 } } }
layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "bn_out" }
layer { name: "scale" type: "Scale" bottom: "bn_out" top: "bn_out" ` + fbScaleParam + ` }
layer { name: "side" type: "ReLU" bottom: "conv" top: "side" }
layer { name: "conv2" type: "Convolution" bottom: "side" top: "conv2"
  convolution_param { num_output: 4 kernel_size: 1 weight_filler { type: "gaussian" std: 0.5 } } }
layer { name: "bn2" type: "BatchNorm" bottom: "conv2" top: "conv2" }
layer { name: "sum" type: "Eltwise" bottom: "bn_out" bottom: "conv2" top: "sum" }
`,
		wantLines: []string{
			"fuse-batchnorm: 1 folded, 2 refused, 0 removed",
			"refused bn (BatchNorm): conv's output conv is also read by side (a branch needs the unnormalized value)",
			"refused scale (Scale): producer is BatchNorm, not a Convolution/Deconvolution/InnerProduct",
			"folded bn2 into conv2\n",
		},
		folded: 1, left: 2,
		gone: []string{"bn2"}, stay: []string{"conv", "bn", "scale", "side", "conv2", "sum"},
		biased: []string{"conv2"},
		tops:   map[string]string{"bn": "bn_out", "scale": "bn_out", "conv2": "conv2"},
	},
	{
		// --keep bn_out: BatchNorm still folds (conv then writes bn_out),
		// but the Scale after it would make bn_out disappear.
		name: "keep",
		net: fbInputDims(2, 3, 8, 8) + `
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv_out"
  convolution_param { num_output: 5 kernel_size: 3 weight_filler { type: "xavier" } bias_filler { type: "uniform" min: -1 max: 1 } } }
layer { name: "bn" type: "BatchNorm" bottom: "conv_out" top: "bn_out" }
layer { name: "scale" type: "Scale" bottom: "bn_out" top: "scale_out" ` + fbScaleParam + ` }
layer { name: "relu" type: "ReLU" bottom: "scale_out" top: "scale_out" }
`,
		args: []string{"--keep", "bn_out"},
		wantLines: []string{
			"folded bn into conv",
			"refused scale (Scale): value bn_out is kept observable and would disappear",
		},
		folded: 1, left: 1,
		gone: []string{"bn"}, stay: []string{"conv", "scale", "relu"},
		tops: map[string]string{"conv": "bn_out", "scale": "scale_out"},
	},
}

// TestFuseBNSmallNets runs fuse-bn on small nets written here and checks
// the printed table, the written files (loaded back with caffe.Load), the
// verification, and, independently of the CLI's compare, that both nets
// give the same outputs.
func TestFuseBNSmallNets(t *testing.T) {
	for i, c := range fbCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			prototxt, weights := fbNet(t, dir, "in", c.net, i+1)
			before := fbHash(t, prototxt, weights)
			outBase := filepath.Join(dir, "out")
			args := append([]string{"fuse-bn", prototxt, weights, "-o", outBase}, c.args...)
			code, out, errs := fbRun(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
			}
			fbUnchanged(t, before)
			for _, w := range c.wantLines {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			folded, left := fbFolded(t, out)
			if folded != c.folded || left != c.left {
				t.Errorf("folded %d, left %d; want %d, %d", folded, left, c.folded, c.left)
			}
			if !strings.Contains(out, "verifying the written files against the original:") {
				t.Errorf("no verification in output:\n%s", out)
			}
			rows := fbTable(t, out)
			if len(rows) == 0 {
				t.Fatalf("no verification rows:\n%s", out)
			}
			for name, r := range rows {
				if r.status != "ok" {
					t.Errorf("verification row %s: %s", name, r.status)
				}
			}

			fused := fbLoad(t, outBase+".prototxt", outBase+".caffemodel")
			g := fused.Graph
			for _, l := range c.gone {
				if g.Node(l) != nil {
					t.Errorf("layer %s is still in the fused net", l)
				}
			}
			for _, l := range c.stay {
				if g.Node(l) == nil {
					t.Errorf("layer %s is missing from the fused net", l)
				}
			}
			bn, sc := fbCountTypes(g)
			if bn+sc != c.left {
				t.Errorf("fused net has %d BatchNorm + %d Scale, want %d in all", bn, sc, c.left)
			}
			for _, l := range c.biased {
				n := g.Node(l)
				if n == nil {
					continue
				}
				var bias bool
				switch op := n.Op.(type) {
				case *graph.Conv:
					bias = op.BiasTerm
				case *graph.InnerProduct:
					bias = op.BiasTerm
				}
				if !bias || len(n.Params) != 2 {
					t.Errorf("%s: bias_term %v with %d params, want a bias", l, bias, len(n.Params))
				}
			}
			for l, top := range c.tops {
				if n := g.Node(l); n != nil && (len(n.Tops) != 1 || n.Tops[0].Blob != top) {
					t.Errorf("%s writes %v, want %s", l, n.Tops, top)
				}
			}

			orig := fbLoad(t, prototxt, weights)
			a, b := fbForward(t, orig, 99), fbForward(t, fused, 99)
			if len(a) == 0 || len(a) != len(b) {
				t.Fatalf("outputs: original %d, fused %d", len(a), len(b))
			}
			for name, ta := range a {
				d, peak := fbMaxDiff(t, name, b[name], ta)
				if d > 1e-5*max(1, peak) {
					t.Errorf("output %s: max |diff| %.3g (peak %.3g)", name, d, peak)
				}
				t.Logf("output %s: max |diff| %.3g, peak %.3g", name, d, peak)
			}
		})
	}
}

func TestFuseBNNoVerify(t *testing.T) {
	dir := t.TempDir()
	prototxt, weights := fbNet(t, dir, "in", fbCases[0].net, 1)
	out := filepath.Join(dir, "out")
	code, stdout, errs := fbRun(t, "fuse-bn", prototxt, weights, "-o", out+".caffemodel", "--no-verify")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(stdout, "verifying") || strings.Contains(stdout, "blobs compared") {
		t.Errorf("--no-verify still verified:\n%s", stdout)
	}
	// -o out.caffemodel names the same pair as -o out.
	for _, p := range []string{out + ".prototxt", out + ".caffemodel"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s not written: %v", p, err)
		}
	}
	fbLoad(t, out+".prototxt", out+".caffemodel")
}

// TestFuseBNMismatchExit3 demands exact equality: folding reorders float32
// arithmetic, so some blob differs by rounding and fuse-bn exits 3 — after
// writing the files.
func TestFuseBNMismatchExit3(t *testing.T) {
	dir := t.TempDir()
	prototxt, weights := fbNet(t, dir, "in", fbCases[1].net, 3)
	out := filepath.Join(dir, "out")
	code, stdout, errs := fbRun(t, "fuse-bn", prototxt, weights, "-o", out, "--atol", "0", "--rtol", "0")
	if code != ExitMismatch {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitMismatch, stdout, errs)
	}
	if !strings.Contains(stdout, "first divergence: ") || !strings.Contains(errs, "differs beyond tolerance") {
		t.Errorf("no divergence named:\n%s\n%s", stdout, errs)
	}
	fbLoad(t, out+".prototxt", out+".caffemodel")
}

// TestFuseBNRefusesInputAsOutput: an output path that is an input (also
// spelled differently) is a usage error, and nothing is written.
func TestFuseBNRefusesInputAsOutput(t *testing.T) {
	dir := t.TempDir()
	prototxt, weights := fbNet(t, dir, "net", fbCases[0].net, 1)
	before := fbHash(t, prototxt, weights)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{
		filepath.Join(dir, "net"),                  // both outputs are inputs
		filepath.Join(sub, "..", "net.caffemodel"), // the weights, another spelling
		filepath.Join(dir, "net.prototxt"),         // the prototxt
		filepath.Join(sub, "net"),                  // same name, other folder: allowed
	} {
		code, out, errs := fbRun(t, "fuse-bn", prototxt, weights, "-o", o, "--no-verify")
		if strings.HasPrefix(o, sub+string(filepath.Separator)) {
			if code != 0 {
				t.Errorf("-o %s: exit %d: %s", o, code, errs)
			}
			continue
		}
		if code != ExitUsage {
			t.Errorf("-o %s: exit %d, want %d\n%s%s", o, code, ExitUsage, out, errs)
		}
		if !strings.Contains(errs, "is the input file") {
			t.Errorf("-o %s: stderr %q", o, errs)
		}
	}
	fbUnchanged(t, before)
	if code, _, errs := fbRun(t, "fuse-bn", prototxt, weights, "-o", filepath.Join(dir, "x"), "--keep", "nosuch"); code != ExitUsage {
		t.Errorf("--keep nosuch: exit %d (%s), want %d", code, errs, ExitUsage)
	}
	if code, _, _ := fbRun(t, "fuse-bn", prototxt, weights); code != ExitUsage {
		t.Errorf("no -o: exit %d, want %d", code, ExitUsage)
	}
}

// fbZoo are the zoo nets whose every BatchNorm/Scale must fold.
var fbZoo = []struct {
	rel   string
	args  []string
	heavy bool // skipped with -short
}{
	{rel: "resnet/ResNet-50-deploy.prototxt"},
	{rel: "mobilenet_v1/mobilenet_deploy.prototxt"},
	{rel: "mobilenet_v2/mobilenet_v2_deploy.prototxt"},
	{rel: "mobilenet_ssd/deploy.prototxt"},
	// 134 MB of weights; its declared batch of 10 would make the two
	// verification passes ten times slower without testing more.
	{rel: "inception_bn_21k/deploy.prototxt", args: []string{"--input", "data=1,3,224,224"}, heavy: true},
}

// fbRandomWeights rewrites a caffemodel made by init with random
// convolution, inner product and Scale parameters (BatchNorm statistics are
// kept). Deploy files often have no fillers, and Caffe's default filler is
// the constant 0: with all-zero weights a fold's weight scaling would go
// untested. Weights are N(0, 2/fan_in), biases U(−0.1, 0.1), γ U(0.5, 1.5),
// β U(−0.5, 0.5).
func fbRandomWeights(t testing.TB, prototxt, weights string, seed uint64) {
	t.Helper()
	net, err := caffe.Load(prototxt, weights, caffe.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	uniform := func(p *graph.Tensor, lo, hi float64) {
		for i := range p.Data {
			p.Data[i] = float32(lo + (hi-lo)*rng.Float64())
		}
	}
	for _, n := range net.Graph.Nodes {
		switch n.Op.(type) {
		case *graph.Conv, *graph.InnerProduct:
			if len(n.Params) == 0 || n.Params[0] == nil || len(n.Params[0].Shape) == 0 {
				continue
			}
			w := n.Params[0]
			std := math.Sqrt(2 / float64(max(1, w.Shape.Count()/w.Shape[0])))
			for i := range w.Data {
				w.Data[i] = float32(rng.NormFloat64() * std)
			}
			if len(n.Params) > 1 && n.Params[1] != nil {
				uniform(n.Params[1], -0.1, 0.1)
			}
		case *graph.Scale:
			if len(n.Params) > 0 && n.Params[0] != nil {
				uniform(n.Params[0], 0.5, 1.5)
			}
			if len(n.Params) > 1 && n.Params[1] != nil {
				uniform(n.Params[1], -0.5, 0.5)
			}
		}
	}
	model, err := net.ExportWeights(net.Graph)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(weights, model, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFuseBNZoo fuses real nets with random weights and BatchNorm
// statistics from `init --random-bn-stats` (weights randomized by
// fbRandomWeights): every BatchNorm and Scale
// folds, none is left in the written prototxt, and the verification of the
// written files against the original passes.
func TestFuseBNZoo(t *testing.T) {
	zoo := filepath.Join(sharedDir(t), "zoo")
	for _, z := range fbZoo {
		t.Run(z.rel, func(t *testing.T) {
			if z.heavy && testing.Short() {
				t.Skip("heavy net skipped with -short")
			}
			prototxt := filepath.Join(zoo, z.rel)
			orig, err := caffe.Load(prototxt, "", caffe.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			bn, sc := fbCountTypes(orig.Graph)
			if bn == 0 {
				t.Fatalf("%s has no BatchNorm", z.rel)
			}
			dir := t.TempDir()
			weights := filepath.Join(dir, "w.caffemodel")
			if code, _, errs := fbRun(t, "init", prototxt, "-o", weights, "--random-bn-stats"); code != 0 {
				t.Fatalf("init: exit %d: %s", code, errs)
			}
			fbRandomWeights(t, prototxt, weights, 7)
			before := fbHash(t, prototxt, weights)
			out := filepath.Join(dir, "fused")
			code, stdout, errs := fbRun(t, append([]string{"fuse-bn", prototxt, weights, "-o", out}, z.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, errs)
			}
			fbUnchanged(t, before)
			folded, left := fbFolded(t, stdout)
			if folded != bn+sc || left != 0 {
				t.Errorf("folded %d, left %d; the net has %d BatchNorm + %d Scale", folded, left, bn, sc)
			}
			if strings.Contains(stdout, "refused ") {
				t.Errorf("refusals:\n%s", stdout)
			}
			text, err := os.ReadFile(out + ".prototxt")
			if err != nil {
				t.Fatal(err)
			}
			if s := string(text); strings.Contains(s, `type: "BatchNorm"`) || strings.Contains(s, `type: "Scale"`) {
				t.Errorf("fused prototxt still has BatchNorm or Scale layers")
			}
			fused, err := caffe.Load(out+".prototxt", out+".caffemodel", caffe.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r := fused.Report; r == nil || len(r.Missing)+len(r.Unused)+len(r.Mismatch) > 0 {
				t.Errorf("fused weights do not match the fused net: %+v", r)
			}
			if b, s := fbCountTypes(fused.Graph); b+s != 0 {
				t.Errorf("fused net has %d BatchNorm, %d Scale", b, s)
			}
			if got, want := len(fused.Graph.Nodes), len(orig.Graph.Nodes)-bn-sc; got != want {
				t.Errorf("fused net has %d layers, want %d", got, want)
			}
			rows := fbTable(t, stdout)
			var maxAbs, maxRel float64
			for name, r := range rows {
				if r.status != "ok" {
					t.Errorf("verification row %s: %s", name, r.status)
				}
				maxAbs, maxRel = max(maxAbs, r.maxAbs), max(maxRel, r.maxRel)
			}
			if len(rows) < 10 {
				t.Errorf("only %d blobs verified", len(rows))
			}
			t.Logf("%s: %d BatchNorm + %d Scale folded, %d blobs verified, max |diff| %.3g, max rel %.3g", z.rel, bn, sc, len(rows), maxAbs, maxRel)
		})
	}
}

// TestFuseBNMobileNetSSDMatchesUpstreamMerge fuses chuanqi305's
// MobileNet-SSD deploy net and compares the result with the same
// repository's BN-merged deploy net: the same layers (names, types,
// bottoms, tops, in order) and every convolution with a bias.
//
// Legitimate differences, not compared: the upstream merged file declares
// its input with the legacy net-level input/input_shape fields, which
// Caffe (and caffe.Load, used on both files here) upgrades to the Input
// layer "input" that we write; and its param specs are lr_mult 1/2,
// decay_mult 1/0 while ours keep the deploy file's weight spec (lr_mult
// 0.1 on conv0, ...) and give the new bias twice that lr_mult, decay 0.
// Those are training hints only.
func TestFuseBNMobileNetSSDMatchesUpstreamMerge(t *testing.T) {
	zoo := filepath.Join(sharedDir(t), "zoo", "mobilenet_ssd")
	prototxt := filepath.Join(zoo, "deploy.prototxt")
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.caffemodel")
	if code, _, errs := fbRun(t, "init", prototxt, "-o", weights, "--random-bn-stats"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	out := filepath.Join(dir, "fused")
	if code, stdout, errs := fbRun(t, "fuse-bn", prototxt, weights, "-o", out, "--no-verify"); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, errs)
	}
	ours, err := caffe.Load(out+".prototxt", "", caffe.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := caffe.Load(filepath.Join(zoo, "voc_MobileNetSSD_deploy_bn_merged.prototxt"), "", caffe.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ours.Upgraded {
		t.Errorf("our fused prototxt needed an upgrade: it should be written in the current format")
	}
	a, b := ours.Graph.Nodes, theirs.Graph.Nodes
	if len(a) != len(b) {
		t.Errorf("%d layers, upstream merged net has %d", len(a), len(b))
	}
	blobs := func(vs []*graph.Value) string {
		var s []string
		for _, v := range vs {
			s = append(s, v.Blob)
		}
		return strings.Join(s, ",")
	}
	convs, specDiffs := 0, 0
	for i := 0; i < min(len(a), len(b)); i++ {
		x, y := a[i], b[i]
		if x.Name != y.Name || x.Type != y.Type || blobs(x.Bottoms) != blobs(y.Bottoms) || blobs(x.Tops) != blobs(y.Tops) {
			t.Errorf("layer %d: ours %s (%s) %s → %s; upstream %s (%s) %s → %s", i,
				x.Name, x.Type, blobs(x.Bottoms), blobs(x.Tops), y.Name, y.Type, blobs(y.Bottoms), blobs(y.Tops))
			continue
		}
		cx, ok := x.Op.(*graph.Conv)
		if !ok {
			continue
		}
		convs++
		cy := y.Op.(*graph.Conv)
		if !cx.BiasTerm || !cy.BiasTerm {
			t.Errorf("%s: bias_term ours %v, upstream %v", x.Name, cx.BiasTerm, cy.BiasTerm)
		}
		if cx.NumOutput != cy.NumOutput || cx.Group != cy.Group || fmt.Sprint(cx.Kernel, cx.Stride, cx.Pad) != fmt.Sprint(cy.Kernel, cy.Stride, cy.Pad) {
			t.Errorf("%s: convolution differs: ours %+v, upstream %+v", x.Name, *cx, *cy)
		}
		if fmt.Sprint(x.ParamSpecs) != fmt.Sprint(y.ParamSpecs) {
			specDiffs++
		}
	}
	t.Logf("%d layers match upstream, %d convolutions all with bias; %d differ only in param specs (training hints)", len(a), convs, specDiffs)
}

// fbBuild builds the caffetool binary into a temp dir.
func fbBuild(t testing.TB) string {
	t.Helper()
	gobin, err := osexec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "caffetool")
	cmd := osexec.Command(gobin, "build", "-o", bin, "github.com/caffetool/caffetool/cmd/caffetool")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func fbSum(t testing.TB, path string) ([32]byte, bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return [32]byte{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b), true
}

// fbTemps lists the temporary files WriteFileAtomic leaves in dir.
func fbTemps(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tmps []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".out.") && strings.Contains(e.Name(), ".tmp") {
			tmps = append(tmps, e.Name())
		}
	}
	return tmps
}

// TestFuseBNKillDuringWrite sends SIGKILL to fuse-bn at many moments while
// it writes a ~210 MB caffemodel and requires that the output paths then
// hold nothing or the complete file, never a partial one. Kills are timed
// by the clock and by watching for the temporary files the atomic write
// creates, so several land inside the write itself.
func TestFuseBNKillDuringWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~210 MB many times; skipped with -short")
	}
	bin := fbBuild(t)
	dir := t.TempDir()
	// 1024 × 51200 float32 weights = 210 MB, with a BatchNorm and Scale to fold.
	prototxt, weights := fbNet(t, dir, "big", fbInputDims(1, 1024)+`
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
  inner_product_param { num_output: 51200 bias_term: false weight_filler { type: "uniform" min: -0.01 max: 0.01 } } }
layer { name: "fc_bn" type: "BatchNorm" bottom: "fc" top: "fc" }
layer { name: "fc_scale" type: "Scale" bottom: "fc" top: "fc" scale_param { bias_term: true } }
`, 1)

	// A complete run gives the reference output and the time it takes.
	refBase := filepath.Join(dir, "ref")
	start := time.Now()
	if out, err := osexec.Command(bin, "fuse-bn", prototxt, weights, "-o", refBase, "--no-verify").CombinedOutput(); err != nil {
		t.Fatalf("complete run: %v\n%s", err, out)
	}
	full := time.Since(start)
	ref := fbLoad(t, refBase+".prototxt", refBase+".caffemodel")
	if b, s := fbCountTypes(ref.Graph); b+s != 0 {
		t.Fatalf("reference output still has %d BatchNorm/Scale", b+s)
	}
	ref = nil
	refModel, _ := fbSum(t, refBase+".caffemodel")
	refText, err := os.ReadFile(refBase + ".prototxt")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("complete fuse-bn run: %v", full)

	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	outBase := filepath.Join(outDir, "out")
	type trigger struct {
		after time.Duration // after start, or after the temp file appears
		watch string        // temp file prefix to wait for; "" = clock only
	}
	var triggers []trigger
	for k := 1; k <= 5; k++ {
		triggers = append(triggers, trigger{after: full * time.Duration(k) / 6})
	}
	for _, d := range []time.Duration{0, 2 * time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond} {
		triggers = append(triggers, trigger{after: d, watch: ".out.caffemodel.tmp"})
	}
	// Twice, so that one run starts from an empty directory and one from a
	// previous output.
	triggers = append(triggers, trigger{watch: ".out.prototxt.tmp"}, trigger{watch: ".out.prototxt.tmp"})

	inWrite := 0
	for i, tr := range triggers {
		// Odd runs start with a complete previous output in place; even
		// runs start from an empty directory.
		prev := i%2 == 1
		os.Remove(outBase + ".prototxt")
		os.Remove(outBase + ".caffemodel")
		if prev {
			if b, err := os.ReadFile(refBase + ".caffemodel"); err != nil {
				t.Fatal(err)
			} else if err := os.WriteFile(outBase+".caffemodel", b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(outBase+".prototxt", refText, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := osexec.Command(bin, "fuse-bn", prototxt, weights, "-o", outBase, "--no-verify")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		sawTemp := false
		if tr.watch == "" {
			time.Sleep(tr.after)
		} else {
			deadline := time.Now().Add(full + 10*time.Second)
		poll:
			for time.Now().Before(deadline) {
				for _, n := range fbTemps(t, outDir) {
					if strings.HasPrefix(n, tr.watch) {
						sawTemp = true
						break poll
					}
				}
				select {
				case err := <-done:
					done <- err
					break poll
				default:
				}
				time.Sleep(200 * time.Microsecond)
			}
			time.Sleep(tr.after)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := <-done
		killed := false
		if ee, ok := err.(*osexec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
				killed = true
			}
		}
		if err != nil && !killed {
			t.Fatalf("run %d: %v", i, err)
		}

		model, hasModel := fbSum(t, outBase+".caffemodel")
		text, terr := os.ReadFile(outBase + ".prototxt")
		hasText := terr == nil
		if hasModel && model != refModel {
			t.Errorf("run %d (%+v): %s.caffemodel is not the complete output", i, tr, outBase)
		}
		if hasText && !bytes.Equal(text, refText) {
			t.Errorf("run %d (%+v): %s.prototxt is not the complete output", i, tr, outBase)
		}
		if prev && (!hasModel || !hasText) {
			t.Errorf("run %d: a complete previous output disappeared (caffemodel %v, prototxt %v)", i, hasModel, hasText)
		}
		// The weights are written first: a new prototxt implies new weights.
		if !prev && hasText && !hasModel {
			t.Errorf("run %d: prototxt written without its caffemodel", i)
		}
		tmps := fbTemps(t, outDir)
		if killed && (sawTemp || len(tmps) > 0) {
			inWrite++
		}
		state := "finished"
		if killed {
			state = "killed"
		}
		t.Logf("run %2d: %-6s trigger %-22q +%-8v prev=%-5v → caffemodel %v, prototxt %v, temp files left %v", i, state, tr.watch, tr.after, prev, hasModel, hasText, tmps)
		for _, n := range tmps {
			os.Remove(filepath.Join(outDir, n))
		}
	}
	if inWrite == 0 {
		t.Errorf("no kill landed while a temporary output file existed; the test did not exercise the write")
	}
	t.Logf("%d of %d kills landed during a write", inWrite, len(triggers))
	// The last state must load like the reference.
	if _, ok := fbSum(t, outBase+".caffemodel"); ok {
		if _, err := os.Stat(outBase + ".prototxt"); err == nil {
			fbLoad(t, outBase+".prototxt", outBase+".caffemodel")
		}
	}
}

// TestFuseBNOpenCV runs testdata/fusebn/opencv_check.py: OpenCV's Caffe
// importer must give the same blobs for the original and the fused files
// (tinynet; ResNet-50 and MobileNet v1/v2 too with CAFFETOOL_SHARED).
func TestFuseBNOpenCV(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := osexec.Command(python, "-c", "import cv2").Run(); err != nil {
		t.Skipf("%s cannot import cv2 (%v); install python3-opencv", python, err)
	}
	bin := fbBuild(t)
	cmd := osexec.Command(python, "../../testdata/fusebn/opencv_check.py", bin)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("opencv_check.py: %v", err)
	}
	s := string(out)
	if strings.Contains(s, "SKIP") || !strings.Contains(s, "all nets agree") {
		t.Fatalf("the cross-check did not run to agreement")
	}
	nets := 1
	if os.Getenv("CAFFETOOL_SHARED") != "" {
		nets = 4
	}
	if n := strings.Count(s, " beyond tolerance, worst "); n != nets {
		t.Errorf("%d nets checked, want %d", n, nets)
	}
}
