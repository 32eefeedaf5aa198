package caffe

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/caffetool/caffetool/proto/caffepb"
)

// readerSharedDir returns $CAFFETOOL_SHARED, or skips the test.
func readerSharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CAFFETOOL_SHARED")
	if dir == "" {
		t.Skip("CAFFETOOL_SHARED is not set; zoo and conformance files are not available")
	}
	return dir
}

// sharedFiles lists the files under the shared dir whose names end in ext.
func sharedFiles(t testing.TB, ext string) []string {
	t.Helper()
	root := readerSharedDir(t)
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ext) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s files under %s", ext, root)
	}
	return files
}

// TestParseTextSharedFiles parses every prototxt of the zoo and the
// conformance data and compares the result with the reference parser
// (prototext) wherever that one accepts the file. Files the reference
// rejects only for unknown fields (forks) must give warnings, the others
// none, also in strict mode.
func TestParseTextSharedFiles(t *testing.T) {
	compared, forks := 0, 0
	for _, f := range sharedFiles(t, ".prototxt") {
		var newMsg func() proto.Message
		switch base := filepath.Base(f); {
		case base == "labelmap.prototxt": // an SSD LabelMap, not in our schema
			continue
		case strings.Contains(base, "solver"):
			newMsg = func() proto.Message { return &caffepb.SolverParameter{} }
		default:
			newMsg = func() proto.Message { return &caffepb.NetParameter{} }
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ours := newMsg()
		res, err := ParseText(f, data, ours, TextOptions{})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		ref := newMsg()
		if err := (prototext.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, ref); err != nil {
			t.Logf("%s: reference parser fails (%v); our result is not compared", f, err)
		} else {
			compared++
			if !proto.Equal(ours, ref) {
				t.Errorf("%s: differs from prototext", f)
			}
		}
		strictErr := prototext.Unmarshal(data, newMsg())
		_, ourStrictErr := ParseText(f, data, newMsg(), TextOptions{Strict: true})
		switch {
		case strictErr == nil && (len(res.Warnings) != 0 || ourStrictErr != nil):
			t.Errorf("%s: clean file gives warnings %v / strict error %v", f, res.Warnings, ourStrictErr)
		case strictErr != nil && strings.Contains(strictErr.Error(), "unknown field"):
			forks++
			if len(res.Warnings) == 0 || ourStrictErr == nil {
				t.Errorf("%s: fork file (%v) gives no warning or no strict error", f, strictErr)
			}
		}
	}
	t.Logf("%d files compared with prototext, %d with fork fields", compared, forks)
	if compared < 100 || forks == 0 {
		t.Errorf("only %d files compared and %d fork files seen; is the shared dir complete?", compared, forks)
	}
}

// TestParseTextZooForkFields checks the fork fields SOURCES.md lists are
// reported with their layer and kept for the decoders.
func TestParseTextZooForkFields(t *testing.T) {
	root := readerSharedDir(t)
	net := &caffepb.NetParameter{}
	f := filepath.Join(root, "zoo", "densenet", "DenseNet_121.prototxt")
	res, err := ReadText(f, net, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ceil := 0
	for i, l := range net.Layer {
		if u := res.UnknownField(l.GetPoolingParam(), "ceil_mode"); u != nil {
			if _, err := u.Bool(); err != nil {
				t.Errorf("layer %d ceil_mode: %v", i, err)
			}
			ceil++
		}
	}
	if ceil == 0 || len(res.Warnings) != ceil {
		t.Errorf("%d ceil_mode fields kept, %d warnings", ceil, len(res.Warnings))
	}
	if w := res.Warnings[0]; !strings.Contains(w.Path, ").pooling_param.ceil_mode") || !strings.HasPrefix(w.Path, "layer[") {
		t.Errorf("warning path %q", w.Path)
	}
	_, err = ReadText(f, &caffepb.NetParameter{}, TextOptions{Strict: true})
	if err == nil || !strings.Contains(err.Error(), f+":") || !strings.Contains(err.Error(), "ceil_mode") {
		t.Errorf("strict: %v", err)
	}
}

func BenchmarkParseText(b *testing.B) {
	f := filepath.Join(readerSharedDir(b), "zoo", "bvlc_googlenet", "train_val.prototxt")
	data, err := os.ReadFile(f)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseText(f, data, &caffepb.NetParameter{}, TextOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
