package imageio

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

// refDir holds references made by OpenCV and scikit-image (gen.py, NOTE.md).
const refDir = "../../testdata/preprocess"

func loadRef(t *testing.T, name string) *graph.Tensor {
	t.Helper()
	x, err := npy.Read(filepath.Join(refDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func loadCat(t *testing.T) *Image {
	t.Helper()
	img, err := Load(filepath.Join(refDir, "cat48x36.png"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// diff returns the max abs difference and how many values differ at all.
func diff(t *testing.T, got, want *graph.Tensor) (maxAbs float64, differ int) {
	t.Helper()
	if !got.Shape.Equal(want.Shape) {
		t.Fatalf("shape %v, reference %v", got.Shape, want.Shape)
	}
	for i := range got.Data {
		d := math.Abs(float64(got.Data[i]) - float64(want.Data[i]))
		maxAbs = math.Max(maxAbs, d)
		if d != 0 {
			differ++
		}
	}
	return maxAbs, differ
}

func TestOpenCVPresetMatchesCV2(t *testing.T) {
	img := loadCat(t)
	mean := []float32{104, 117, 123}
	cases := []struct {
		ref string
		o   Options
	}{
		{"cv_resize_37x29.npy", Options{Width: 37, Height: 29, Mean: mean}},
		{"cv_crop_37x29.npy", Options{Width: 37, Height: 29, Mean: mean, Crop: true}},
		{"cv_up_swap_53x41.npy", Options{Width: 53, Height: 41, Mean: mean, Scale: 0.017, SwapRB: true}},
		{"cv_half_24x18.npy", Options{Width: 24, Height: 18}},
		{"cv_gray_37x29.npy", Options{Width: 37, Height: 29, Channels: 1, Mean: []float32{127.5}, Scale: 1 / 127.5}},
	}
	for _, c := range cases {
		c.o.Preset = "opencv"
		got, err := Preprocess(img, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.ref, err)
		}
		want := loadRef(t, c.ref)
		// The 8-bit pipeline is integer up to the final (x-mean)·scale, so
		// anything beyond float rounding is a one-level miss.
		if m, n := diff(t, got, want); m > 1e-5 {
			t.Errorf("%s: %d values differ from OpenCV, max %g", c.ref, n, m)
		}
	}
}

func TestCaffePresetMatchesSkimage(t *testing.T) {
	img := loadCat(t)
	mean := []float32{104, 117, 123}
	cases := []struct {
		ref string
		o   Options
	}{
		{"caffe_down_37x29.npy", Options{Width: 37, Height: 29, Mean: mean}},
		// Upsampling exercises mode='constant': border pixels blend with the
		// image minimum.
		{"caffe_up_53x41.npy", Options{Width: 53, Height: 41, Mean: mean, Scale: 0.5}},
	}
	for _, c := range cases {
		c.o.Preset = "caffe"
		got, err := Preprocess(img, c.o)
		if err != nil {
			t.Fatal(err)
		}
		// float32 vs float64 intermediate rounding on values up to 255.
		if m, n := diff(t, got, loadRef(t, c.ref)); m > 1e-3 {
			t.Errorf("%s: %d values differ from the skimage pipeline, max %g", c.ref, n, m)
		}
	}
}

// TestCatJPEG decodes the original JPEG with Go's decoder and compares with
// OpenCV's blob from libjpeg's decode: the decoders differ, so only the
// size of the difference is bounded.
func TestCatJPEG(t *testing.T) {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("set CAFFETOOL_SHARED=/work/shared to compare cat.jpg with OpenCV")
	}
	img, err := Load(filepath.Join(root, "zoo/images/cat.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 480 || img.Height != 360 || img.Channels != 3 || img.Format != "jpeg" {
		t.Fatalf("cat.jpg decoded as %dx%dx%d %s", img.Width, img.Height, img.Channels, img.Format)
	}
	got, err := Preprocess(img, Options{Preset: "opencv", Width: 37, Height: 29, Mean: []float32{104, 117, 123}})
	if err != nil {
		t.Fatal(err)
	}
	want := loadRef(t, "cv_catjpg_37x29.npy")
	m, _ := diff(t, got, want)
	var sum float64
	for i := range got.Data {
		sum += math.Abs(float64(got.Data[i] - want.Data[i]))
	}
	mean := sum / float64(len(got.Data))
	t.Logf("Go vs libjpeg decode after resize: mean |d| %.3f, max %.0f (0-255 scale)", mean, m)
	if mean > 0.5 || m > 4 {
		t.Errorf("JPEG decode differs from OpenCV by mean %.3f, max %g", mean, m)
	}
}

func TestResizeCV8(t *testing.T) {
	src := []uint8{10, 20, 30, 40, 50, 60}
	if got := resizeCV8(src, 3, 2, 1, 3, 2, 1, 1); string(got) != string(src) {
		t.Errorf("same size changed the image: %v", got)
	}
	// A constant image stays constant at any size, both paths.
	flat := make([]uint8, 7*5*3)
	for i := range flat {
		flat[i] = 77
	}
	for _, sz := range [][2]int{{3, 2}, {20, 11}, {7, 1}, {1, 9}} {
		for _, v := range resizeCV8(flat, 7, 5, 3, sz[0], sz[1], float64(sz[0])/7, float64(sz[1])/5) {
			if v != 77 {
				t.Fatalf("constant image resized to %v gave %d", sz, v)
			}
		}
	}
	// 2x downsample rounds the 2x2 average half up: (10+20+11+21+2)>>2 = 16.
	if got := resizeCV8([]uint8{10, 20, 11, 21}, 2, 2, 1, 1, 1, 0.5, 0.5); got[0] != 16 {
		t.Errorf("2x2 average = %d, want 16", got[0])
	}
}

func TestResizePycaffe(t *testing.T) {
	flat := []float32{0.3, 0.3, 0.3, 0.3}
	for _, v := range resizePycaffe(flat, 2, 2, 1, 5, 3) {
		if v != 0.3 {
			t.Fatalf("constant image gave %g", v)
		}
	}
	// 1x2 → 1x4: source columns at -0.25, 0.25, 0.75, 1.25. The outer two
	// blend 1/4 of the (normalised) zero outside the image, i.e. the
	// minimum 1: the right border gives 2.5 where edge clamping gives 3.
	got := resizePycaffe([]float32{1, 3}, 2, 1, 1, 4, 1)
	want := []float32{1, 1.5, 2.5, 2.5}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("1x2→1x4 = %v, want %v", got, want)
		}
	}
}

func TestPreprocessMeans(t *testing.T) {
	img := &Image{Width: 4, Height: 2, Channels: 3, Depth: 8, Pix: make([]uint16, 24)}
	for p := 0; p < 8; p++ {
		img.Pix[3*p], img.Pix[3*p+1], img.Pix[3*p+2] = 30, 20, 10 // R, G, B
	}
	// One mean value applies to every channel; output is B, G, R.
	got, err := Preprocess(img, Options{Preset: "opencv", Mean: []float32{5}, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Shape.Equal(graph.Shape{3, 2, 4}) || got.Data[0] != 10 || got.Data[8] != 30 || got.Data[16] != 50 {
		t.Errorf("opencv preset: %v %v", got.Shape, got.Data)
	}
	// caffe preset: [0,1] × raw 255 gives back the samples, BGR.
	got, err = Preprocess(img, Options{Preset: "caffe", Mean: []float32{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data[0] != 9 || got.Data[8] != 18 || got.Data[16] != 27 {
		t.Errorf("caffe preset: %v", got.Data)
	}
	// A mean image larger than the input is centre-cropped.
	m := graph.NewTensor(graph.Shape{3, 4, 6})
	for i := range m.Data {
		m.Data[i] = float32(i)
	}
	got, err = Preprocess(img, Options{Preset: "opencv", MeanImage: m, SwapRB: true})
	if err != nil {
		t.Fatal(err)
	}
	// Window rows 1..2, columns 1..4 of each 4x6 plane; channel 0 is R=30.
	if got.Data[0] != 30-7 || got.Data[3] != 30-10 || got.Data[4] != 30-13 || got.Data[8] != 20-31 {
		t.Errorf("mean image crop: %v", got.Data)
	}
	// Gray source, 3 channels requested: replicated.
	gray := &Image{Width: 1, Height: 1, Channels: 1, Depth: 16, Pix: []uint16{0xff00}}
	got, err = Preprocess(gray, Options{Preset: "opencv"})
	if err != nil || got.Data[0] != 255 || got.Data[2] != 255 {
		t.Errorf("16-bit gray: %v %v", got, err)
	}
	got, err = Preprocess(gray, Options{Preset: "caffe", Channels: 1, RawScale: 1})
	if err != nil || math.Abs(float64(got.Data[0])-float64(0xff00)/65535) > 1e-6 {
		t.Errorf("16-bit gray caffe: %v %v", got, err)
	}
}

func TestPreprocessErrors(t *testing.T) {
	img := &Image{Width: 4, Height: 2, Channels: 3, Depth: 8, Pix: make([]uint16, 24)}
	small := graph.NewTensor(graph.Shape{3, 1, 1})
	cases := []struct {
		o    Options
		want string
	}{
		{Options{Preset: "pil"}, "preset"},
		{Options{Preset: "caffe", Width: 3}, "width and height"},
		{Options{Preset: "caffe", Channels: 2}, "channels"},
		{Options{Preset: "caffe", Mean: []float32{1, 2}}, "mean values"},
		{Options{Preset: "caffe", Mean: []float32{1}, MeanImage: small}, "not both"},
		{Options{Preset: "caffe", MeanImage: small}, "smaller"},
		{Options{Preset: "caffe", MeanImage: graph.NewTensor(graph.Shape{2, 4, 4})}, "channels"},
		{Options{Preset: "opencv", RawScale: 255}, "raw scale"},
		{Options{Preset: "caffe", Scale: float32(math.Inf(1))}, "finite"},
	}
	for _, c := range cases {
		_, err := Preprocess(img, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.o, err, c.want)
		}
	}
	if _, err := Preprocess(&Image{Width: 2, Height: 2, Channels: 3, Pix: make([]uint16, 3)}, Options{Preset: "caffe"}); err == nil {
		t.Error("inconsistent image accepted")
	}
}
