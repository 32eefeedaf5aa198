package cli

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

// vfDump runs tinynet on a random input with `run --dump` and returns the
// net, its weights and the dump directory.
func vfDump(t testing.TB) (prototxt, weights, dir string) {
	t.Helper()
	prototxt, weights = cmpTinynet(t)
	in := graph.NewTensor(graph.Shape{1, 3, 32, 32})
	rng := rand.New(rand.NewPCG(11, 13))
	for i := range in.Data {
		in.Data[i] = float32(rng.Float64()*2 - 1)
	}
	work := t.TempDir()
	inPath := filepath.Join(work, "input.npy")
	if err := npy.Write(inPath, in); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(work, "ref")
	if code, out, errs := fbRun(t, "run", prototxt, weights, "data="+inPath, "--dump", dir); code != 0 {
		t.Fatalf("run --dump: exit %d: %s%s", code, out, errs)
	}
	return prototxt, weights, dir
}

// vfCopy copies a dump directory so each case perturbs its own files.
func vfCopy(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func vfPerturb(t testing.TB, path string, index int, delta float32) {
	t.Helper()
	x, err := npy.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	x.Data[index] += delta
	if err := npy.Write(path, x); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyAgainstDump: our own dump verifies (every file but the fed
// input is compared), and a perturbed file is named as the divergence.
func TestVerifyAgainstDump(t *testing.T) {
	prototxt, weights, ref := vfDump(t)
	ents, err := os.ReadDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		files = append(files, e.Name())
	}
	sort.Strings(files)
	// Final values plus each earlier version of the in-place chains.
	want := []string{"conv1.npy", "conv1@0.npy", "conv1@1.npy", "conv1@2.npy", "data.npy", "fc.npy", "pool.npy",
		"prob.npy", "res.npy", "res_a.npy", "res_a_bn.npy", "res_a_bn@0.npy", "res_b.npy"}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Fatalf("dump holds %v, want %v", files, want)
	}

	code, out, errs := fbRun(t, "verify", prototxt, weights, "--ref", ref, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	r := cmpParse(t, out)
	if len(r.Blobs) != len(want)-1 || r.First != "" {
		t.Errorf("compared %d blobs (want %d), first divergence %q", len(r.Blobs), len(want)-1, r.First)
	}
	for _, b := range r.Blobs {
		if !b.OK || b.MaxAbs > 1e-6 {
			t.Errorf("%s: max |diff| %g", b.Name, b.MaxAbs)
		}
	}
	if errs != "" {
		t.Errorf("unexpected stderr: %s", errs)
	}

	for _, c := range []struct {
		file  string
		index int
		delta float32
		first string // "" = still within tolerance
	}{
		{"res_b.npy", 17, 0.01, "res_b"},
		{"conv1@1.npy", 0, -0.5, "conv1@1"}, // an earlier in-place version
		{"prob.npy", 9, 0.001, "prob"},
		{"res_b.npy", 17, 1e-6, ""}, // below atol 1e-4
	} {
		dir := vfCopy(t, ref)
		vfPerturb(t, filepath.Join(dir, c.file), c.index, c.delta)
		code, out, errs := fbRun(t, "verify", prototxt, weights, "--ref", dir)
		if c.first == "" {
			if code != 0 {
				t.Errorf("%s %+g: exit %d, want 0\n%s%s", c.file, c.delta, code, out, errs)
			}
			continue
		}
		if code != ExitMismatch {
			t.Errorf("%s %+g: exit %d, want %d\n%s%s", c.file, c.delta, code, ExitMismatch, out, errs)
			continue
		}
		if !strings.Contains(out, "first divergence: "+c.first+" (") || !strings.Contains(errs, "blob "+c.first+" differs") {
			t.Errorf("%s: divergence not named %s:\n%s%s", c.file, c.first, out, errs)
		}
		// Only the perturbed file differs.
		if n := strings.Count(out, "DIFFERS"); n != 1 {
			t.Errorf("%s: %d rows differ, want 1:\n%s", c.file, n, out)
		}
	}

	// A perturbed input changes every blob downstream; the first is conv1@0.
	dir := vfCopy(t, ref)
	vfPerturb(t, filepath.Join(dir, "data.npy"), 0, 3)
	if code, out, _ := fbRun(t, "verify", prototxt, weights, "--ref", dir); code != ExitMismatch || !strings.Contains(out, "first divergence: conv1@0 (") {
		t.Errorf("perturbed input: exit %d, want 3 with first divergence conv1@0:\n%s", code, out)
	}

	// Without the input file nothing can run: an error naming the file.
	dir = vfCopy(t, ref)
	if err := os.Remove(filepath.Join(dir, "data.npy")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := fbRun(t, "verify", prototxt, weights, "--ref", dir); code != ExitError || !strings.Contains(errs, "data.npy") {
		t.Errorf("missing input: exit %d, stderr %q", code, errs)
	}
	// A file that names no blob is reported, not silently ignored.
	dir = vfCopy(t, ref)
	b, _ := os.ReadFile(filepath.Join(dir, "fc.npy"))
	if err := os.WriteFile(filepath.Join(dir, "nosuch.npy"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := fbRun(t, "verify", prototxt, weights, "--ref", dir); code != 0 || !strings.Contains(errs, `no blob "nosuch"`) {
		t.Errorf("unknown file: exit %d, stderr %q", code, errs)
	}
}
