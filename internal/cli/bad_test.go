package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/imageio"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.golden from the current output")

// badDir holds the hostile suite: per case <case>.args (the command line,
// words separated by blanks, paths relative to the folder) and
// <case>.golden (exit code, then the exact stderr); see its README.md.
var badDir = filepath.Join("..", "..", "testdata", "bad")

// TestHostileSuite runs every case of testdata/bad in-process with Main,
// in a scratch copy of the folder: each must exit non-zero without a
// panic, print exactly one stderr line (the golden one), and leave the
// folder as it found it (no output file, complete or partial).
func TestHostileSuite(t *testing.T) {
	argFiles, err := filepath.Glob(filepath.Join(badDir, "*.args"))
	if err != nil {
		t.Fatal(err)
	}
	if len(argFiles) < 30 {
		t.Fatalf("%d cases in %s, want at least 30", len(argFiles), badDir)
	}
	src, err := filepath.Abs(badDir)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	copyDir(t, src, work)
	t.Chdir(work)
	before := listDir(t, ".")
	for _, af := range argFiles {
		name := strings.TrimSuffix(filepath.Base(af), ".args")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(src, name+".args"))
			if err != nil {
				t.Fatal(err)
			}
			args := strings.Fields(string(raw))
			var stdout, stderr bytes.Buffer
			code, panicked := runMain(args, &stdout, &stderr)
			if panicked != "" {
				t.Fatalf("caffetool %s panicked: %s", strings.Join(args, " "), panicked)
			}
			if code == ExitOK {
				t.Errorf("caffetool %s succeeded; a hostile input must fail", strings.Join(args, " "))
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "caffetool: ") {
				t.Errorf("stderr is not one error line:\n%s", stderr.String())
			}
			got := fmt.Sprintf("exit %d\n%s", code, stderr.String())
			golden := filepath.Join(src, name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if want, err := os.ReadFile(golden); err != nil {
				t.Errorf("%v (run go test ./internal/cli -run TestHostileSuite -update)", err)
			} else if got != string(want) {
				t.Errorf("caffetool %s:\ngot:\n%swant:\n%s", strings.Join(args, " "), got, want)
			}
			if after := listDir(t, "."); !equalStrings(before, after) {
				t.Errorf("the folder changed: before %v, after %v", before, after)
				restore(t, src, ".", before, after)
			}
		})
	}
}

// runMain calls Main, turning a panic into its message and stack. The
// library limits a case sets with --max-memory or --max-elements are put
// back afterwards, so that no later test runs with them.
func runMain(args []string, stdout, stderr *bytes.Buffer) (code int, panicked string) {
	maxElements, maxBytes, maxPixels := graph.MaxElements, exec.MaxBytes, imageio.MaxPixels
	defer func() {
		graph.MaxElements, exec.MaxBytes, imageio.MaxPixels = maxElements, maxBytes, maxPixels
		if r := recover(); r != nil {
			panicked = fmt.Sprintf("%v\n%s", r, debug.Stack())
		}
	}()
	return Main(args, strings.NewReader(""), stdout, stderr), ""
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listDir names every entry (hidden temporaries included) with its size.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s:%d", e.Name(), info.Size()))
	}
	sort.Strings(out)
	return out
}

// restore puts the scratch folder back after a failing case, so that one
// failure does not cascade into every later case.
func restore(t *testing.T, src, dir string, before, after []string) {
	t.Helper()
	keep := map[string]bool{}
	for _, b := range before {
		keep[b[:strings.LastIndexByte(b, ':')]] = true
	}
	for _, a := range after {
		if n := a[:strings.LastIndexByte(a, ':')]; !keep[n] {
			os.Remove(filepath.Join(dir, n))
		}
	}
	copyDir(t, src, dir)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHostileErrorTypes: the library's errors for the suite's files are
// typed, so callers can tell a syntax error from a corrupt caffemodel, a
// bad layer, a net exec cannot run or weights that do not fit, with
// errors.As.
func TestHostileErrorTypes(t *testing.T) {
	file := func(name string) string { return filepath.Join(badDir, name) }
	load := func(net, weights string) error {
		_, err := caffe.Load(file(net), weights, caffe.LoadOptions{})
		return err
	}
	loadInfer := func(net string) error {
		n, err := caffe.Load(file(net), "", caffe.LoadOptions{})
		if err != nil {
			return err
		}
		return n.Graph.InferShapes(nil)
	}
	compile := func(net string) error {
		n, err := caffe.Load(file(net), "", caffe.LoadOptions{})
		if err != nil {
			return err
		}
		if err := n.Graph.InferShapes(nil); err != nil {
			return err
		}
		if _, err := exec.InitParams(n.Graph, 1, false); err != nil {
			return err
		}
		_, err = exec.Compile(n.Graph, exec.Options{})
		return err
	}
	var (
		textErr    *caffe.TextError
		binErr     *caffe.BinaryError
		layerErr   *graph.LayerError
		weightsErr *caffe.WeightsError
		unsupErr   *exec.UnsupportedError
		budgetErr  *exec.BudgetError
	)
	cases := []struct {
		name   string
		err    error
		target any
		check  func() string // what the typed error must hold, "" when fine
	}{
		{"syntax", load("unterminated_string.prototxt", ""), &textErr, func() string {
			return want(textErr.Line == 2 && textErr.Col == 7, "at 2:7, got %d:%d", textErr.Line, textErr.Col)
		}},
		{"binary garbage as text", load("garbage.prototxt", ""), &textErr, nil},
		{"deep nesting", load("deep_nesting.prototxt", ""), &textErr, nil},
		{"empty prototxt", load("empty.prototxt", ""), &textErr, nil},
		{"truncated caffemodel", load("weights_net.prototxt", file("truncated.caffemodel")), &binErr, func() string {
			return want(binErr.Kind == "caffemodel", "kind %q", binErr.Kind)
		}},
		{"blob count", load("weights_net.prototxt", file("count_mismatch.caffemodel")), &layerErr, func() string {
			return want(layerErr.Layer == "conv" && layerErr.Type == "Convolution" && layerErr.Field == "blobs[0]",
				"layer %q type %q field %q", layerErr.Layer, layerErr.Type, layerErr.Field)
		}},
		{"shape mismatch", load("weights_net.prototxt", file("shape_mismatch.caffemodel")), &weightsErr, func() string {
			return want(len(weightsErr.Report.Mismatch) == 1, "mismatches %v", weightsErr.Report.Mismatch)
		}},
		{"concat", loadInfer("concat_mismatch.prototxt"), &layerErr, func() string {
			return want(layerErr.Layer == "cat" && layerErr.Type == "Concat" && layerErr.Field == "bottom[1]",
				"layer %q type %q field %q", layerErr.Layer, layerErr.Type, layerErr.Field)
		}},
		{"duplicate top", load("duplicate_top.prototxt", ""), &layerErr, nil},
		{"unknown type", loadInfer("unknown_type.prototxt"), &layerErr, nil},
		{"reshape", loadInfer("reshape_two_inferred.prototxt"), &layerErr, func() string {
			return want(layerErr.Field == "reshape_param.shape", "field %q", layerErr.Field)
		}},
		{"unsupported", compile("unsupported.prototxt"), &unsupErr, func() string {
			return want(unsupErr.Layer == "loss", "layer %q", unsupErr.Layer)
		}},
		{"parameter budget", compile("budget_params.prototxt"), &budgetErr, func() string {
			return want(budgetErr.What == "parameters" && budgetErr.Limit == exec.MaxBytes, "%+v", *budgetErr)
		}},
		{"activation budget", compile("budget_tile.prototxt"), &budgetErr, func() string {
			return want(budgetErr.What == "activations" && budgetErr.Need > budgetErr.Limit, "%+v", *budgetErr)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil {
				t.Fatal("no error")
			}
			if !errors.As(c.err, c.target) {
				t.Fatalf("%T %q is not a %T", c.err, c.err, c.target)
			}
			if c.check != nil {
				if msg := c.check(); msg != "" {
					t.Error(msg)
				}
			}
			if strings.ContainsAny(c.err.Error(), "\r\n") {
				t.Errorf("error spans lines: %q", c.err)
			}
		})
	}
}

func want(ok bool, format string, a ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, a...)
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"4GiB", 4 << 30}, {"512M", 512 << 20}, {"1.5 KiB", 1536}, {"1000000", 1e6}, {"2gb", 2e9}, {"64b", 64}} {
		if got, err := parseSize(c.in); err != nil || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "lots", "-1GiB", "0", "0.5", "nan", "inf", "1e30", "GiB"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
	if formatSize(4<<30) != "4GiB" || formatSize(1000) != "1000" {
		t.Errorf("formatSize: %s %s", formatSize(4<<30), formatSize(1000))
	}
}

// TestHostileFilesFresh regenerates the suite's binary files with
// testdata/bad/gen.go and compares them with the committed ones.
func TestHostileFilesFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	goTool, err := osexec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	out := t.TempDir()
	cmd := osexec.Command(goTool, "run", "gen.go", "-out", out)
	cmd.Dir = badDir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, b)
	}
	ents, err := os.ReadDir(out)
	if err != nil || len(ents) == 0 {
		t.Fatalf("gen.go wrote nothing: %v", err)
	}
	for _, e := range ents {
		fresh, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join(badDir, e.Name()))
		if err != nil || !bytes.Equal(fresh, committed) {
			t.Errorf("%s differs from what gen.go writes (%v); run go run gen.go in testdata/bad", e.Name(), err)
		}
	}
}
