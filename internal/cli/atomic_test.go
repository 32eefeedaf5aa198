package cli

import (
	"bytes"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caffetool/caffetool/caffe"
)

// bigNet has a 4096x4096 fully connected layer: a 64 MiB caffemodel,
// long enough to write that a kill lands in the middle of it.
const bigNet = `name: "big"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4096 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
  inner_product_param { num_output: 4096 weight_filler { type: "uniform" } } }
`

// TestInitKilledMidWrite runs the built caffetool binary's `init` on a
// large net and kills it with SIGKILL while it writes, at several moments
// (as soon as its temporary file appears, while it grows, once it is
// complete but maybe not yet renamed). Each time, the target path must
// hold either what it held before (nothing, or the previous complete
// caffemodel) or the complete new caffemodel: never a partial file.
func TestInitKilledMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and writes 64 MiB files")
	}
	goTool, err := osexec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build caffetool with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "caffetool")
	if out, err := osexec.Command(goTool, "build", "-o", bin, "github.com/caffetool/caffetool/cmd/caffetool").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	net := filepath.Join(dir, "big.prototxt")
	if err := os.WriteFile(net, []byte(bigNet), 0o644); err != nil {
		t.Fatal(err)
	}
	const wantBytes = 4096 * 4096 * 4 // the weights alone
	target := filepath.Join(dir, "big.caffemodel")

	// The previous complete file, from an uninterrupted run.
	if out, err := osexec.Command(bin, "init", net, "-o", target, "--seed", "1").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	previous, err := os.ReadFile(target)
	if err != nil || len(previous) < wantBytes {
		t.Fatalf("previous caffemodel: %d bytes, %v", len(previous), err)
	}

	// Kill points: bytes the temporary file must hold first (0: as soon
	// as it exists; -1: once it is complete).
	for _, at := range []int{0, wantBytes / 4, wantBytes / 2, -1} {
		for _, hadFile := range []bool{true, false} {
			name := fmt.Sprintf("kill at %d bytes, previous file %v", at, hadFile)
			t.Run(name, func(t *testing.T) {
				clearTemps(t, dir)
				if hadFile {
					if err := os.WriteFile(target, previous, 0o644); err != nil {
						t.Fatal(err)
					}
					// An old time, so that any write to the target shows.
					old := time.Now().Add(-time.Hour)
					if err := os.Chtimes(target, old, old); err != nil {
						t.Fatal(err)
					}
				} else {
					os.Remove(target)
				}
				cmd := osexec.Command(bin, "init", net, "-o", target, "--seed", "2")
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				killed := waitAndKill(t, cmd, done, target, at, len(previous))
				got, err := os.ReadFile(target)
				switch {
				case os.IsNotExist(err) && !hadFile:
					// nothing before, nothing now
				case err != nil:
					t.Fatalf("target after the kill: %v", err)
				case hadFile && bytes.Equal(got, previous):
					// the previous file, untouched
				default:
					// Only the complete new file may replace it.
					checkComplete(t, got, wantBytes)
					if killed {
						t.Logf("killed after the rename: the new file is complete")
					}
				}
				if temps := tempFiles(t, dir); len(temps) > 0 {
					t.Logf("left behind (a killed process cannot clean up): %v", temps)
				}
			})
		}
	}
}

// waitAndKill watches the target and any temporary file next to it and
// sends SIGKILL once one of them is being written and holds at least `at`
// bytes (-1: the full size). It reports whether the process was killed
// before it finished. Watching the target too is what would catch a
// non-atomic writer, which truncates and rewrites the target in place.
func waitAndKill(t *testing.T, cmd *osexec.Cmd, done chan error, target string, at, full int) bool {
	t.Helper()
	if at < 0 {
		at = full
	}
	dir := filepath.Dir(target)
	var before time.Time
	if st, err := os.Stat(target); err == nil {
		before = st.ModTime()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Logf("init finished before the kill point (%v)", err)
			return false
		default:
		}
		watch := tempFiles(t, dir)
		if st, err := os.Stat(target); err == nil && !st.ModTime().Equal(before) {
			watch = append(watch, filepath.Base(target))
		}
		for _, p := range watch {
			if st, err := os.Stat(filepath.Join(dir, p)); err == nil && st.Size() >= int64(at) {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Logf("kill: %v", err)
				}
				<-done
				return true
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	t.Fatal("init never started writing")
	return false
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".big.caffemodel.tmp") {
			out = append(out, e.Name())
		}
	}
	return out
}

func clearTemps(t *testing.T, dir string) {
	for _, p := range tempFiles(t, dir) {
		os.Remove(filepath.Join(dir, p))
	}
}

// checkComplete decodes a caffemodel and checks the fc weights are all there.
func checkComplete(t *testing.T, data []byte, wantBytes int) {
	t.Helper()
	m, err := caffe.DecodeNet("big.caffemodel", data)
	if err != nil {
		t.Fatalf("target holds a partial file (%d bytes): %v", len(data), err)
	}
	n := 0
	for _, l := range m.GetLayer() {
		for _, b := range l.GetBlobs() {
			n += len(b.GetData())
		}
	}
	if 4*n < wantBytes {
		t.Fatalf("target holds %d weights, want at least %d", n, wantBytes/4)
	}
}
