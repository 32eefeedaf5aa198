package caffe

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// sharedRoot returns $CAFFETOOL_SHARED, or skips the test.
func sharedRoot(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CAFFETOOL_SHARED")
	if dir == "" {
		t.Skip("CAFFETOOL_SHARED is not set; zoo and conformance files are not available")
	}
	return dir
}

func parseNetFile(t testing.TB, path string) (*caffepb.NetParameter, *TextResult) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	net := &caffepb.NetParameter{}
	res, err := ParseText(path, data, net, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return net, res
}

func parseNetString(t testing.TB, text string) (*caffepb.NetParameter, *TextResult) {
	t.Helper()
	net := &caffepb.NetParameter{}
	res, err := ParseText("test.prototxt", []byte(text), net, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return net, res
}

// firstDiff returns the first differing line of two texts, for messages.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return "line " + itoa(i+1) + ": got " + quoteLine(la[i]) + ", want " + quoteLine(lb[i])
		}
	}
	return "lengths differ: got " + itoa(len(la)) + " lines, want " + itoa(len(lb))
}

func itoa(i int) string { return strconv.Itoa(i) }

func quoteLine(s string) string { return "`" + s + "`" }

// TestUpgradeConformance upgrades every legacy zoo prototxt that Caffe's
// upgrade_net_proto_text was run on and compares with Caffe's output, both
// as messages and byte for byte as written text.
func TestUpgradeConformance(t *testing.T) {
	root := sharedRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "conformance", "upgrade", "*.prototxt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no upgrade reference files")
	}
	for _, ref := range files {
		base := strings.TrimSuffix(filepath.Base(ref), ".prototxt")
		folder, file, ok := strings.Cut(base, "__")
		if !ok {
			t.Fatalf("%s: name is not <folder>__<file>.prototxt", ref)
		}
		t.Run(base, func(t *testing.T) {
			legacy, res := parseNetFile(t, filepath.Join(root, "zoo", folder, file+".prototxt"))
			if !NeedsUpgrade(legacy) {
				t.Fatal("NeedsUpgrade is false for a legacy file")
			}
			changed, notes, err := upgradeNet(legacy, res)
			if err != nil {
				t.Fatal(err)
			}
			if !changed {
				t.Error("changed = false")
			}
			for _, n := range notes {
				t.Logf("note: %s", n)
			}
			want, _ := parseNetFile(t, ref)
			if !proto.Equal(legacy, want) {
				t.Fatalf("upgraded net differs from Caffe's:\n%s", firstDiff(string(MarshalText(legacy, nil)), string(MarshalText(want, nil))))
			}
			var buf bytes.Buffer
			if err := WriteText(&buf, legacy); err != nil {
				t.Fatal(err)
			}
			wantText, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), wantText) {
				t.Errorf("WriteText differs from Caffe's text: %s", firstDiff(buf.String(), string(wantText)))
			}
			if NeedsUpgrade(legacy) {
				t.Error("NeedsUpgrade is still true after the upgrade")
			}
		})
	}
}

// TestUpgradeCaffemodelConformance: upgrade_net_proto_binary's output for the
// V1 cifar10 caffemodel (layers moved to `layer`, blobs untouched).
func TestUpgradeCaffemodelConformance(t *testing.T) {
	root := sharedRoot(t)
	read := func(p string) *caffepb.NetParameter {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n, err := DecodeNet(p, data)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	model := read(filepath.Join(root, "zoo", "cifar10_quick_v1weights", "cifar10_quick_iter_5000.caffemodel"))
	want := read(filepath.Join(root, "conformance", "upgrade", "cifar10_quick_iter_5000.upgraded.caffemodel"))
	if len(model.Layers) == 0 {
		t.Fatal("the zoo caffemodel is expected to be V1")
	}
	changed, notes, err := UpgradeNet(model)
	if err != nil || !changed || len(notes) != 0 {
		t.Fatalf("UpgradeNet = %v, %v, %v", changed, notes, err)
	}
	if !proto.Equal(model, want) {
		t.Fatal("upgraded caffemodel differs from Caffe's upgrade_net_proto_binary output")
	}
	// And it survives our writer.
	b, err := MarshalBinary(model)
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeNet("roundtrip", b)
	if err != nil || !proto.Equal(again, want) {
		t.Fatalf("binary round trip changed the net (err %v)", err)
	}
}
