package proto

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsFresh regenerates caffepb/caffe.pb.go into a temporary
// directory and requires it to be byte-for-byte identical to the committed
// file. It needs protoc on PATH and is skipped otherwise. The generated header
// records the protoc version, so the committed file must come from the same
// protoc as the one running this test (CI and development use Debian's).
func TestGeneratedCodeIsFresh(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skip("protoc not on PATH; skipping freshness check of caffepb/caffe.pb.go")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH; skipping freshness check of caffepb/caffe.pb.go")
	}

	out := t.TempDir()
	cmd := exec.Command("sh", "gen.sh", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh gen.sh %s: %v\n%s", out, err, msg)
	}

	const rel = "caffepb/caffe.pb.go"
	fresh, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.FromSlash(rel))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Errorf("%s is stale: it differs from what caffe.proto generates; run `go generate ./proto` and commit the result", rel)
	}
}
