package htmlreport

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/graph"
)

// TestResNet152Size: the report of a 150-layer net stays under 1 MB.
func TestResNet152Size(t *testing.T) {
	net, path := zooNet(t, "resnet/ResNet-152-deploy.prototxt")
	var buf bytes.Buffer
	if err := Render(&buf, net.Graph, dataFor(t, net, path)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() >= 1_000_000 {
		t.Errorf("report is %d bytes, want < 1 MB", buf.Len())
	}
	t.Logf("ResNet-152 report: %d bytes", buf.Len())
	for _, bad := range []string{"http://", "https://", "<link", "src=", "@import", "url(http"} {
		s := strings.ReplaceAll(buf.String(), `xmlns="http://www.w3.org/2000/svg"`, "")
		if strings.Contains(s, bad) {
			t.Errorf("report refers to an outside resource (%q)", bad)
		}
	}
}

// TestLayoutAllZoo lays out every net of the zoo (shapes as far as they
// can be inferred) and checks the layout invariants.
func TestLayoutAllZoo(t *testing.T) {
	dir := os.Getenv("CAFFETOOL_SHARED")
	if dir == "" {
		t.Skip("CAFFETOOL_SHARED not set; skipping test on zoo nets")
	}
	zoo := filepath.Join(dir, "zoo")
	n := 0
	filepath.WalkDir(zoo, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".prototxt") || strings.Contains(p, "solver") || strings.HasSuffix(p, "labelmap.prototxt") {
			return nil
		}
		net, err := caffe.Load(p, "", caffe.LoadOptions{})
		if err != nil {
			return nil // solvers, label maps and nets that need options
		}
		net.Graph.InferShapesPartial(nil)
		rel, _ := filepath.Rel(zoo, p)
		t.Run(rel, func(t *testing.T) {
			l := computeLayout(net.Graph)
			checkLayout(t, net.Graph, l)
			var buf bytes.Buffer
			if err := Render(&buf, net.Graph, partialData(net.Graph)); err != nil {
				t.Fatal(err)
			}
		})
		n++
		return nil
	})
	if n < 40 {
		t.Errorf("laid out only %d zoo nets", n)
	}
}

// partialData is Data for a graph whose shapes may be partly unknown
// (costs of such layers are left 0, as inspect does).
func partialData(g *graph.Graph) Data {
	d := Data{Name: g.Name}
	for _, n := range g.Nodes {
		c, _ := graph.NodeCost(n)
		d.Layers = append(d.Layers, Layer{Index: n.Index, Name: n.Name, Type: n.Type, MACs: c.MACs, Params: c.Params, OutputBytes: c.OutputBytes})
	}
	d.Totals.Layers = len(g.Nodes)
	return d
}

func TestRenderRejectsMismatchedData(t *testing.T) {
	g := synthNet(t, 1, 10)
	d := partialData(g)
	var buf bytes.Buffer
	if err := Render(&buf, g, Data{}); err == nil {
		t.Error("no error for data without layers")
	}
	d.Layers[3].Name = "other"
	if err := Render(&buf, g, d); err == nil || !strings.Contains(err.Error(), "other") {
		t.Errorf("got %v, want an error naming the mismatched layer", err)
	}
	if err := Render(&buf, nil, d); err == nil {
		t.Error("no error for a nil graph")
	}
}

// TestRenderEscapes: names from the prototxt cannot inject markup.
func TestRenderEscapes(t *testing.T) {
	g := graph.New(`net<script>alert(1)</script>`)
	evil := `a</script><b onmouseover="x">&`
	if err := g.Add(&graph.Node{Name: "data", Type: "Input", Op: &graph.Input{}}, nil, []string{"data"}); err != nil {
		t.Fatal(err)
	}
	if err := g.Add(&graph.Node{Name: evil, Type: "ReLU", Op: &graph.ReLU{}}, []string{"data"}, []string{evil}); err != nil {
		t.Fatal(err)
	}
	d := partialData(g)
	d.Name = g.Name
	d.Warnings = []string{"<i>warn</i>"}
	var buf bytes.Buffer
	if err := Render(&buf, g, d); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, bad := range []string{"<script>alert", "<b onmouseover", "<i>warn"} {
		if strings.Contains(s, bad) {
			t.Errorf("report contains unescaped %q", bad)
		}
	}
	if c := strings.Count(s, "</script>"); c != 3 {
		t.Errorf("%d </script> tags, want 3 (error hook, data, code)", c)
	}
	if !strings.Contains(s, "a&lt;/script&gt;&lt;b onmouseover=&#34;x&#34;&gt;&amp;") {
		t.Error("escaped layer name not found")
	}
}

func TestOpFields(t *testing.T) {
	f := graph.DefaultFiller()
	f.Type = "msra"
	got := opFields(&graph.Conv{NumOutput: 64, Kernel: []int{7}, Stride: []int{2}, Pad: []int{3}, Group: 1, WeightFiller: f})
	for _, want := range []string{"NumOutput: 64", "Kernel: [7]", "Stride: [2]", "WeightFiller: msra(FAN_IN)", "Deconv: false"} {
		if !strings.Contains(got, want) {
			t.Errorf("opFields missing %q in:\n%s", want, got)
		}
	}
	if got := opFields(&graph.Accuracy{}); !strings.Contains(got, "IgnoreLabel: unset") {
		t.Errorf("nil pointer field: %q", got)
	}
	if got := opFields(&graph.Input{Shapes: []graph.Shape{{1, 3, 224, 224}}}); !strings.Contains(got, "Shapes: [1x3x224x224]") && !strings.Contains(got, "Shapes: [1×3×224×224]") {
		t.Errorf("shape field: %q", got)
	}
	if got := keyParams(&graph.Conv{NumOutput: 32, Kernel: []int{3}, Stride: []int{2}, Pad: []int{1}, Group: 32}); got != "k=3 s=2 p=1 g=32 out=32" {
		t.Errorf("keyParams(conv) = %q", got)
	}
	if got := keyParams(&graph.Pool{Method: graph.PoolAve, Global: true}); got != "AVE global" {
		t.Errorf("keyParams(pool) = %q", got)
	}
}
