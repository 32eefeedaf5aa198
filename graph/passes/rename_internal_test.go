package passes

import (
	"reflect"
	"strings"
	"testing"
)

func TestRenameKeysIsSimultaneous(t *testing.T) {
	keep := map[string]bool{"x#1": true, "x#2": true, "z": true}
	got := renameKeys(keep, map[string]string{"x#1": "x", "x#2": "x#1"})
	want := map[string]bool{"x": true, "x#1": true, "z": true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !keep["x#2"] {
		t.Fatal("renameKeys modified its input")
	}
}

func TestReportString(t *testing.T) {
	r := Report{Pass: "fuse-batchnorm", Entries: []Entry{
		{Layer: "bn", Type: "BatchNorm", Action: Folded, Into: "conv", Chain: []string{"bn", "scale"}, Reason: "added a bias"},
		{Layer: "bn2", Type: "BatchNorm", Action: Refused, Reason: "producer is Pooling, not a Convolution/Deconvolution/InnerProduct"},
	}, Renamed: map[string]string{"conv#2": "conv"}}
	s := r.String()
	for _, want := range []string{
		"fuse-batchnorm: 1 folded, 1 refused, 0 removed",
		"folded bn → scale into conv (added a bias)",
		"refused bn2 (BatchNorm): producer is Pooling",
		"renamed conv#2 → conv",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}
