package imageio

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

func TestReadMeanFile(t *testing.T) {
	dir := t.TempDir()
	m := graph.NewTensor(graph.Shape{1, 3, 4, 5})
	for i := range m.Data {
		m.Data[i] = float32(i)
	}
	p := filepath.Join(dir, "mean.npy")
	if err := npy.Write(p, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMeanFile(p, nil)
	if err != nil || !got.Shape.Equal(graph.Shape{3, 4, 5}) || got.Data[59] != 59 {
		t.Fatalf("npy mean: %v %v", got, err)
	}
	ch, err := ChannelMean(got)
	if err != nil || ch[0] != 9.5 || ch[1] != 29.5 || ch[2] != 49.5 {
		t.Errorf("channel mean %v %v", ch, err)
	}

	bp := filepath.Join(dir, "mean.binaryproto")
	os.WriteFile(bp, []byte{1, 2, 3}, 0o644)
	if _, err := ReadMeanFile(bp, nil); err == nil || !strings.Contains(err.Error(), "decoder") {
		t.Errorf("binaryproto without decoder: %v", err)
	}
	var seen []byte
	dec := func(b []byte) (*graph.Tensor, error) {
		seen = b
		return &graph.Tensor{Shape: graph.Shape{1, 3, 1, 1}, Data: []float32{1, 2, 3}}, nil
	}
	got, err = ReadMeanFile(bp, dec)
	if err != nil || len(seen) != 3 || !got.Shape.Equal(graph.Shape{3, 1, 1}) {
		t.Errorf("binaryproto via decoder: %v %v", got, err)
	}
	bad := func([]byte) (*graph.Tensor, error) { return nil, errors.New("not a BlobProto") }
	if _, err := ReadMeanFile(bp, bad); err == nil || !strings.Contains(err.Error(), bp) {
		t.Errorf("decoder error not reported with the file: %v", err)
	}
	if _, err := ReadMeanFile(filepath.Join(dir, "mean.jpg"), nil); err == nil || !strings.Contains(err.Error(), "extension") {
		t.Errorf("unknown extension: %v", err)
	}
	p2 := filepath.Join(dir, "m2.npy")
	npy.Write(p2, graph.NewTensor(graph.Shape{3, 4}))
	if _, err := ReadMeanFile(p2, nil); err == nil {
		t.Error("2-D mean accepted")
	}
}

// TestILSVRCMean reads pycaffe's ilsvrc_2012_mean.npy; its per-channel mean
// is the well-known (104.0069, 116.6688, 122.6789) in BGR.
func TestILSVRCMean(t *testing.T) {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("set CAFFETOOL_SHARED=/work/shared to read ilsvrc_2012_mean.npy")
	}
	m, err := ReadMeanFile(filepath.Join(root, "zoo/imagenet_mean/ilsvrc_2012_mean.npy"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := ChannelMean(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{104.00698793, 116.66876762, 122.67891434}
	for i := range want {
		if math.Abs(float64(ch[i])-want[i]) > 1e-4 {
			t.Errorf("channel %d mean %.6f, want %.6f", i, ch[i], want[i])
		}
	}
	// The 256x256 mean is centre-cropped for a 227x227 input.
	img := &Image{Width: 227, Height: 227, Channels: 3, Depth: 8, Pix: make([]uint16, 227*227*3)}
	x, err := Preprocess(img, Options{Preset: "caffe", MeanImage: m})
	if err != nil {
		t.Fatal(err)
	}
	if want := -m.Data[14*256+14]; x.Data[0] != want {
		t.Errorf("first value %g, want -mean[0][14][14] = %g", x.Data[0], want)
	}
}
