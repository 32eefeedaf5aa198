package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/caffe"
)

const cmpTinynetPath = "../../testdata/example/tinynet.prototxt"

// cmpJSON is compare's and verify's --json output.
type cmpJSON struct {
	Blobs []blobDiff `json:"blobs"`
	First string     `json:"first_divergence"`
}

func cmpParse(t testing.TB, out string) cmpJSON {
	t.Helper()
	var r cmpJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if len(r.Blobs) == 0 {
		t.Fatalf("no blobs compared:\n%s", out)
	}
	return r
}

// cmpTinynet copies tinynet and its random weights into a temp dir.
func cmpTinynet(t testing.TB) (prototxt, weights string) {
	t.Helper()
	text, err := os.ReadFile(cmpTinynetPath)
	if err != nil {
		t.Fatal(err)
	}
	return fbNet(t, t.TempDir(), "tinynet", string(text), 5)
}

// cmpPlant writes a copy of weights with one value of one param of one
// layer shifted by delta, decoding and encoding through package caffe.
func cmpPlant(t testing.TB, prototxt, weights, layer string, param, index int, delta float32) string {
	t.Helper()
	net, err := caffe.Load(prototxt, weights, caffe.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := net.Graph.Node(layer)
	if n == nil || param >= len(n.Params) || index >= len(n.Params[param].Data) {
		t.Fatalf("no param %d[%d] in layer %s", param, index, layer)
	}
	n.Params[param].Data[index] += delta
	model, err := net.ExportWeights(net.Graph)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "planted.caffemodel")
	if err := os.WriteFile(out, model, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestComparePinpointsPlantedChange changes one weight of one layer and
// requires compare to name that layer's top (the exact in-place version
// for a layer inside a chain) as the first divergence, with every blob
// before it identical.
func TestComparePinpointsPlantedChange(t *testing.T) {
	prototxt, weights := cmpTinynet(t)
	for _, c := range []struct {
		layer        string
		param, index int
		delta        float32
		first        string
	}{
		{"res_b", 0, 5, 1, "res_b"},           // conv weight, distinct top
		{"conv1_scale", 0, 3, 1, "conv1#2"},   // γ inside conv1's in-place chain
		{"res_a_bn", 0, 2, 1, "res_a_bn"},     // BatchNorm mean; its ReLU follows in place
		{"fc", 1, 2, 0.5, "fc"},               // inner product bias, near the end
		{"conv1", 0, 0, 1, "conv1"},           // the first layer's output
		{"res_a", 1, 7, 0.25, "res_a"},        // grouped conv bias
		{"res_a_bn", 1, 0, 2, "res_a_bn"},     // BatchNorm variance
		{"conv1_bn", 2, 0, 0.5, "conv1#1"},    // BatchNorm scale factor
		{"conv1_scale", 1, 15, -1, "conv1#2"}, // β, last channel
	} {
		t.Run(c.layer+"_"+c.first, func(t *testing.T) {
			planted := cmpPlant(t, prototxt, weights, c.layer, c.param, c.index, c.delta)
			code, out, errs := fbRun(t, "compare", prototxt, weights, prototxt, planted)
			if code != ExitMismatch {
				t.Fatalf("exit %d, want %d\n%s%s", code, ExitMismatch, out, errs)
			}
			if !strings.Contains(out, "first divergence: "+c.first+" (") {
				t.Errorf("want first divergence %s:\n%s", c.first, out)
			}
			if !strings.Contains(errs, "blob "+c.first+" differs beyond tolerance") {
				t.Errorf("stderr does not name %s: %s", c.first, errs)
			}
			code, out, errs = fbRun(t, "compare", prototxt, weights, prototxt, planted, "--json")
			if code != ExitMismatch {
				t.Fatalf("--json: exit %d: %s", code, errs)
			}
			r := cmpParse(t, out)
			if r.First != c.first {
				t.Errorf("--json first_divergence %q, want %q", r.First, c.first)
			}
			for _, b := range r.Blobs {
				if b.Name == c.first {
					if b.OK || b.MaxAbs == 0 {
						t.Errorf("%s: ok %v, max %g", b.Name, b.OK, b.MaxAbs)
					}
					break
				}
				if b.MaxAbs != 0 || !b.OK {
					t.Errorf("blob %s before the planted change differs: %g", b.Name, b.MaxAbs)
				}
			}
		})
	}
}

// TestCompareIdentical: the same files, and a byte copy under another
// name, compare equal everywhere.
func TestCompareIdentical(t *testing.T) {
	prototxt, weights := cmpTinynet(t)
	b, err := os.ReadFile(weights)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.caffemodel")
	if err := os.WriteFile(cp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{weights, cp} {
		code, out, errs := fbRun(t, "compare", prototxt, weights, prototxt, w, "--json", "--atol", "0", "--rtol", "0")
		if code != 0 {
			t.Fatalf("exit %d: %s%s", code, out, errs)
		}
		r := cmpParse(t, out)
		if r.First != "" {
			t.Errorf("first divergence %q in identical nets", r.First)
		}
		// Every blob of tinynet, including each in-place version:
		// data, conv1#0..3, res_a, res_a_bn#0..1, res_b, res, pool, fc, prob.
		if len(r.Blobs) != 13 {
			var names []string
			for _, b := range r.Blobs {
				names = append(names, b.Name)
			}
			t.Errorf("compared %d blobs, want 13: %v", len(r.Blobs), names)
		}
		for _, d := range r.Blobs {
			if !d.OK || d.MaxAbs != 0 {
				t.Errorf("%s: max |diff| %g", d.Name, d.MaxAbs)
			}
		}
	}
	// A different seed gives different inputs but the same verdict.
	if code, out, errs := fbRun(t, "compare", prototxt, weights, prototxt, cp, "--seed", "42"); code != 0 {
		t.Errorf("--seed 42: exit %d: %s%s", code, out, errs)
	}
}
