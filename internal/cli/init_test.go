package cli

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

// loadParams loads a net with weights and returns every layer's params.
func loadParams(t *testing.T, prototxt, weights string) map[string][]*graph.Tensor {
	t.Helper()
	net, err := caffe.Load(prototxt, weights, caffe.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := net.Report; r == nil || len(r.Missing)+len(r.Mismatch) > 0 {
		t.Fatalf("weight report %+v", r)
	}
	out := map[string][]*graph.Tensor{}
	for _, n := range net.Graph.Nodes {
		if len(n.Params) > 0 {
			out[n.Name] = n.Params
		}
	}
	return out
}

// sameBits reports whether two tensors hold bit-identical values.
func sameBits(a, b *graph.Tensor) bool {
	if a == nil || b == nil || !a.Shape.Equal(b.Shape) || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
			return false
		}
	}
	return true
}

var filledCount = regexp.MustCompile(`filled (\d+) `)

func filled(t *testing.T, out string) int {
	t.Helper()
	m := filledCount.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no fill count in %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestInitRoundTrip: the written caffemodel loads back into the net with
// every parameter present, holding exactly what InitParams makes for the
// seed; the same seed writes the same bytes, another seed other values.
func TestInitRoundTrip(t *testing.T) {
	dir := t.TempDir()
	proto := filepath.Join("..", "..", "testdata", "example", "tinynet.prototxt")
	w1 := filepath.Join(dir, "a.caffemodel")
	mustRun(t, "init", proto, "-o", w1, "--seed", "7")
	got := loadParams(t, proto, w1)

	net, err := caffe.Load(proto, "", caffe.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Graph.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.InitParams(net.Graph, 7, false); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, node := range net.Graph.Nodes {
		for i, p := range node.Params {
			n++
			if i >= len(got[node.Name]) || !sameBits(got[node.Name][i], p) {
				t.Errorf("%s param %d: loaded values differ from InitParams(seed 7)", node.Name, i)
			}
		}
	}
	if n != 15 { // conv1 1, BN 3+3, Scale 2, res_a 2, res_b 2, fc 2
		t.Errorf("%d param blobs, want 15", n)
	}
	// BatchNorm statistics are Caffe's zeros.
	for _, p := range got["conv1_bn"] {
		for _, v := range p.Data {
			if v != 0 {
				t.Fatalf("conv1_bn holds %g, want zeros", v)
			}
		}
	}

	w2 := filepath.Join(dir, "b.caffemodel")
	mustRun(t, "init", proto, "-o", w2, "--seed", "7")
	b1, _ := os.ReadFile(w1)
	b2, _ := os.ReadFile(w2)
	if !bytes.Equal(b1, b2) {
		t.Error("the same seed wrote different files")
	}
	w3 := filepath.Join(dir, "c.caffemodel")
	mustRun(t, "init", proto, "-o", w3, "--seed", "8")
	if other := loadParams(t, proto, w3); sameBits(other["fc"][0], got["fc"][0]) {
		t.Error("seeds 7 and 8 gave the same fc weights")
	}

	// --random-bn-stats: mean·s, var·s with s = 0.8 stored in blob 2.
	w4 := filepath.Join(dir, "d.caffemodel")
	mustRun(t, "init", proto, "-o", w4, "--random-bn-stats")
	bn := loadParams(t, proto, w4)["res_a_bn"]
	if bn[2].Data[0] != 0.8 {
		t.Errorf("scale factor %g, want 0.8", bn[2].Data[0])
	}
	for i, v := range bn[1].Data {
		if v < 0.5*0.8 || v > 1.5*0.8 || bn[0].Data[i] < -0.4 || bn[0].Data[i] > 0.4 {
			t.Errorf("channel %d: mean·s %g var·s %g", i, bn[0].Data[i], v)
		}
	}
}

// TestInitPartialKeepsParams: with --weights, parameters the caffemodel
// has are kept bit for bit and only the missing ones are filled.
func TestInitPartialKeepsParams(t *testing.T) {
	dir := t.TempDir()
	protoA, wA := initNet(t, dir, "a", grayNet)
	// Net B renames the classifier and adds a layer: both need filling.
	netB := strings.Replace(grayNet, `name: "fc" type: "InnerProduct"`, `name: "fc_new" type: "InnerProduct"`, 1)
	netB = strings.Replace(netB, `layer { name: "prob"`, `layer { name: "scale" type: "Scale" bottom: "fc" top: "fc"
  scale_param { filler { type: "uniform" min: 2 max: 3 } bias_term: true } }
layer { name: "prob"`, 1)
	protoB := writeFile(t, dir, "b.prototxt", netB)
	wB := filepath.Join(dir, "b.caffemodel")
	r := mustRun(t, "init", protoB, "--weights", wA, "-o", wB, "--seed", "9")
	if n := filled(t, r.out); n != 4 { // fc_new weight+bias, scale+bias
		t.Errorf("filled %d blobs, want 4: %s", n, r.out)
	}
	a := loadParams(t, protoA, wA)
	b := loadParams(t, protoB, wB)
	for i, p := range a["conv/a"] {
		if !sameBits(p, b["conv/a"][i]) {
			t.Errorf("conv/a param %d changed", i)
		}
	}
	if sameBits(a["fc"][0], b["fc_new"][0]) {
		t.Error("fc_new was copied from fc instead of filled")
	}
	for _, v := range b["scale"][0].Data {
		if v < 2 || v > 3 {
			t.Errorf("scale filled with %g, want U(2, 3)", v)
		}
	}
	// Filling again from B's own file changes nothing.
	wC := filepath.Join(dir, "c.caffemodel")
	r = mustRun(t, "init", protoB, "--weights", wB, "-o", wC, "--seed", "10")
	if n := filled(t, r.out); n != 0 {
		t.Errorf("filled %d blobs of a complete caffemodel", n)
	}
	c := loadParams(t, protoB, wC)
	for name, ps := range b {
		for i, p := range ps {
			if !sameBits(p, c[name][i]) {
				t.Errorf("%s param %d changed", name, i)
			}
		}
	}
}

// TestInitRefusesOverwrite: init never writes over its prototxt or the
// caffemodel it reads (also through a link) unless --force is given.
func TestInitRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	proto, w := initNet(t, dir, "g", grayNet)
	before, _ := os.ReadFile(w)
	mustFail(t, ExitUsage, []string{"is the input file"}, "init", proto, "-o", proto)
	if b, _ := os.ReadFile(proto); string(b) != grayNet {
		t.Error("the prototxt was overwritten")
	}
	mustFail(t, ExitUsage, []string{"is the input file"}, "init", proto, "--weights", w, "-o", w)
	link := filepath.Join(dir, "link.caffemodel")
	if err := os.Symlink(w, link); err != nil {
		t.Fatal(err)
	}
	mustFail(t, ExitUsage, []string{"is the input file"}, "init", proto, "--weights", w, "-o", link)
	if after, _ := os.ReadFile(w); !bytes.Equal(before, after) {
		t.Error("the caffemodel was overwritten")
	}
	mustFail(t, ExitUsage, []string{"-o"}, "init", proto)
	// With --force a complete caffemodel is rewritten with its own values.
	mustRun(t, "init", proto, "--weights", w, "-o", w, "--force")
	if after, _ := os.ReadFile(w); !bytes.Equal(before, after) {
		t.Error("rewriting a complete caffemodel in place changed it")
	}
}
