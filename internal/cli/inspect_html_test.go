package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/caffe"
)

// TestWriteHTML converts a real inspect report and writes the page: the
// file must carry the report's totals and one drawn node per layer, with
// in-place layers inside their producer.
func TestWriteHTML(t *testing.T) {
	proto := filepath.Join("..", "..", "testdata", "nets", "tiny_conv.prototxt")
	net, err := caffe.Load(proto, "", caffe.LoadOptions{State: caffe.State{Phase: "TEST"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Graph.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	rep, err := buildReport(net, &inspectOpts{prototxt: proto, net: netFlags{phase: "TEST"}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.html")
	if err := writeHTML(out, net.Graph, rep); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	tot := rep.Totals
	foot := fmt.Sprintf(`<td class="n" data-v="%d">`, tot.MACs)
	if !strings.Contains(s, "<tfoot>") || !strings.Contains(s[strings.Index(s, "<tfoot>"):], foot) {
		t.Errorf("totals row lacks the report's MACs %d", tot.MACs)
	}
	inPlace := 0
	for _, l := range rep.Layers {
		if l.InPlace {
			inPlace++
		}
	}
	if n := strings.Count(s, `<g class="node `); n != len(rep.Layers)-inPlace || n == len(rep.Layers) {
		t.Errorf("%d nodes drawn for %d layers (%d in place)", n, len(rep.Layers), inPlace)
	}
	if !strings.Contains(s, "<h1>tiny</h1>") {
		t.Error("net name missing from the header")
	}
	// The page is rewritten in place, not appended to.
	if err := writeHTML(out, net.Graph, rep); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(out); len(b2) != len(b) {
		t.Errorf("rewritten report is %d bytes, first was %d", len(b2), len(b))
	}
}
