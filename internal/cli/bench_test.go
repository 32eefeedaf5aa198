package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func benchCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// bench times the example net with init weights: one row per layer, the
// fused ones marked, and the JSON report's totals consistent.
func TestBench(t *testing.T) {
	net := filepath.Join("..", "..", "testdata", "example", "tinynet.prototxt")
	out, errs, code := benchCLI(t, "bench", net, "--iterations", "3", "--batch", "2", "--threads", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep benchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Batch != 2 || rep.Threads != 1 || rep.Iterations != 3 {
		t.Errorf("batch %d threads %d iterations %d", rep.Batch, rep.Threads, rep.Iterations)
	}
	if got := rep.Inputs["data"]; len(got) != 4 || got[0] != 2 {
		t.Errorf("input shape %v, want batch 2", got)
	}
	if !(rep.MedianMs > 0 && rep.MinMs <= rep.MedianMs && rep.MedianMs <= rep.MaxMs) {
		t.Errorf("times: min %v median %v max %v", rep.MinMs, rep.MedianMs, rep.MaxMs)
	}
	if rep.GMACs <= 0 || rep.ActivationMiB <= 0 || rep.ActivationMiB >= rep.UnplannedMiB {
		t.Errorf("GMACs %v, activations %v MiB of %v unplanned", rep.GMACs, rep.ActivationMiB, rep.UnplannedMiB)
	}
	roles := map[string]string{}
	var pct float64
	for _, l := range rep.Layers {
		roles[l.Name] = l.Role
		pct += l.Percent
	}
	if len(rep.Layers) < 10 || roles["conv1_bn"] != "fused into conv1" || roles["conv1_relu"] != "fused into conv1" || roles["conv1"] != "" {
		t.Errorf("roles: %v", roles)
	}
	if pct < 99 || pct > 101 {
		t.Errorf("layer shares add up to %.1f%%", pct)
	}

	// The table names every layer and ends with the totals.
	out, errs, code = benchCLI(t, "bench", net, "--iterations", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"conv1_scale", "fused into conv1", "forward (batch 1, ", "median", "activations:"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	for _, bad := range [][]string{{"--iterations", "0"}, {"--threads", "-1"}, {"--batch", "-2"}} {
		if _, _, code := benchCLI(t, append([]string{"bench", net}, bad...)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
}
