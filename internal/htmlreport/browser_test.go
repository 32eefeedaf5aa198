package htmlreport

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// findBrowser returns a headless-capable Chromium, or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// selfTest is what page.js writes into <pre id="selftest"> when the page
// is opened with #selftest.
type selfTest struct {
	Nodes        int
	Rows         int
	Overlaps     int
	Overlapping  []string
	TextOverflow []string
	Sums         [3]float64 // MACs, params, activation bytes summed over the table rows
	Foot         [3]float64 // the same from the table's totals row
	Tooltip      string
	RowClick     bool
	Sorted       bool
	Errors       []string
	InitMs       float64
}

var selfTestRE = regexp.MustCompile(`<pre id="selftest"[^>]*>([^<]*)</pre>`)

// runBrowser runs headless Chromium with the flags every run needs.
func runBrowser(t *testing.T, browser string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=5000"}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", browser, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// TestBrowser renders reports of three zoo nets, opens each in headless
// Chromium and checks what the page itself measured: one node per layer
// (in-place chains inside their producer), table totals equal to the
// data's, no script errors, no overlapping nodes, no text spilling out of
// its node, working tooltip, row click and sorting. It also saves
// screenshots for a person to look at.
func TestBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no chromium found (apt-get install chromium); skipping the headless-browser test")
	}
	if os.Getenv("CAFFETOOL_SHARED") == "" {
		t.Skip("CAFFETOOL_SHARED not set; skipping test on zoo nets")
	}
	shots := filepath.Join(os.TempDir(), "caffetool-html-screens")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("reports and screenshots in %s", shots)
	for _, c := range []struct{ name, rel string }{
		{"resnet50", "resnet/ResNet-50-deploy.prototxt"},
		{"googlenet", "bvlc_googlenet/deploy.prototxt"},
		{"mobilenet_ssd", "mobilenet_ssd/deploy.prototxt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			net, path := zooNet(t, c.rel)
			g := net.Graph
			d := dataFor(t, net, path)
			var buf bytes.Buffer
			if err := Render(&buf, g, d); err != nil {
				t.Fatal(err)
			}
			page := filepath.Join(shots, c.name+".html")
			if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			url := "file://" + filepath.ToSlash(page)

			dom := runBrowser(t, browser, "--dump-dom", url+"#selftest")
			m := selfTestRE.FindSubmatch(dom)
			if m == nil || len(m[1]) == 0 {
				t.Fatalf("no self-test result in the page (script did not run?)\n%.2000s", dom)
			}
			var st selfTest
			if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &st); err != nil {
				t.Fatalf("self-test result %q: %v", m[1], err)
			}
			if want := len(g.Nodes) - inPlaceLayers(g); st.Nodes != want {
				t.Errorf("page shows %d nodes, want %d layers − %d in-place = %d", st.Nodes, len(g.Nodes), inPlaceLayers(g), want)
			}
			if st.Rows != len(g.Nodes) {
				t.Errorf("table has %d rows, want %d", st.Rows, len(g.Nodes))
			}
			want := [3]float64{float64(d.Totals.MACs), float64(d.Totals.Params), float64(d.Totals.OutputBytes)}
			if st.Sums != want {
				t.Errorf("table rows sum to %v, want %v (MACs, params, bytes)", st.Sums, want)
			}
			if st.Foot != want {
				t.Errorf("table totals %v, want %v", st.Foot, want)
			}
			if st.Overlaps != 0 {
				t.Errorf("%d pairs of nodes overlap, e.g. %v", st.Overlaps, st.Overlapping)
			}
			if len(st.TextOverflow) > 0 {
				t.Errorf("text spills out of nodes: %v", st.TextOverflow)
			}
			if len(st.Errors) > 0 {
				t.Errorf("script errors: %v", st.Errors)
			}
			if !strings.Contains(st.Tooltip, g.Nodes[0].Name) {
				t.Errorf("hovering the first node shows %q", st.Tooltip)
			}
			if !st.RowClick {
				t.Error("clicking a table row did not highlight its node")
			}
			if !st.Sorted {
				t.Error("clicking the MACs header did not sort the table")
			}
			if st.InitMs > 1000 {
				t.Errorf("page script took %.0f ms to start", st.InitMs)
			}
			t.Logf("%d nodes, %d rows, script start %.0f ms, %d bytes", st.Nodes, st.Rows, st.InitMs, buf.Len())

			png := filepath.Join(shots, c.name+".png")
			os.Remove(png)
			runBrowser(t, browser, "--screenshot="+png, "--window-size=1600,1200", url)
			if fi, err := os.Stat(png); err != nil || fi.Size() < 10_000 {
				t.Errorf("screenshot %s missing or blank (%v)", png, err)
			}
		})
	}
}
