package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sharedDir(t testing.TB) string {
	d := os.Getenv("CAFFETOOL_SHARED")
	if d == "" {
		t.Skip("CAFFETOOL_SHARED not set; skipping test on ../shared reference data")
	}
	return d
}

// zooFlags are the options a zoo prototxt needs to load at all, as Caffe
// would need them too: nets whose TEST phase has no data layer, or whose
// data layer's shape comes from a database.
var zooFlags = map[string][]string{
	"mnist_lenet/mnist_autoencoder.prototxt":                       {"--stage", "test-on-test"},
	"mobilenet_ssd/train.prototxt":                                 {"--phase", "TRAIN", "--input", "data=1,3,300,300"},
	"yufacedetectnet_v2/yufacedetectnet-open-v2.train.prototxt":    {"--phase", "TRAIN", "--input", "data=1,3,320,320"},
	"opencv_extra_layer_tests/reshape_and_slice_routines.prototxt": {"--input", "input=1,3,4,4"},
}

// notNets are zoo prototxts that are not NetParameters.
func notNet(rel string) bool {
	return strings.Contains(rel, "solver") || strings.HasSuffix(rel, "labelmap.prototxt") || strings.HasPrefix(rel, "negative/")
}

// TestInspectZoo runs `inspect` on every net prototxt of the zoo: each must
// exit 0 (fork fields and unknown data shapes give warnings, not errors).
func TestInspectZoo(t *testing.T) {
	zoo := filepath.Join(sharedDir(t), "zoo")
	var files []string
	filepath.WalkDir(zoo, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".prototxt") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 50 {
		t.Fatalf("found only %d prototxts under %s", len(files), zoo)
	}
	n := 0
	for _, f := range files {
		rel, _ := filepath.Rel(zoo, f)
		if notNet(rel) {
			continue
		}
		n++
		t.Run(rel, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"inspect", f}, zooFlags[rel]...)
			if code := Main(args, nil, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if !strings.Contains(out.String(), "total") {
				t.Errorf("no totals row:\n%s", out.String())
			}
		})
	}
	t.Logf("inspected %d zoo nets", n)
}
