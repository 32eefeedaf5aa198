package exec_test

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

// These tests run nets with real trained weights from the shared zoo
// through the library API alone: preprocessing is done here by hand.

func sharedZoo(t *testing.T) string {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("CAFFETOOL_SHARED not set; skipping nets with real weights")
	}
	return filepath.Join(root, "zoo")
}

// compileReal loads a deploy net with its caffemodel and compiles it for
// the given input shape.
func compileReal(t *testing.T, prototxt, weights, input string, shape graph.Shape) *exec.Net {
	t.Helper()
	net, err := caffe.Load(prototxt, weights, caffe.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Report.Missing) > 0 || len(net.Report.Mismatch) > 0 {
		t.Fatalf("weights: %+v", net.Report)
	}
	if err := net.Graph.InferShapes(map[string]graph.Shape{input: shape}); err != nil {
		t.Fatal(err)
	}
	x, err := exec.Compile(net.Graph, exec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// TestRealLeNetDigits: LeNet trained on MNIST reads the digits 0-9 we
// rendered (testdata/digits), as one batch of 10 after reshaping the
// declared batch of 64, and each digit alone gives the same scores.
func TestRealLeNetDigits(t *testing.T) {
	zoo := sharedZoo(t)
	x := compileReal(t, filepath.Join(zoo, "mnist_lenet", "lenet.prototxt"),
		filepath.Join(zoo, "mnist_lenet", "lenet_iter_10000.caffemodel"), "data", graph.Shape{10, 1, 28, 28})
	batch := graph.NewTensor(graph.Shape{10, 1, 28, 28})
	for d := 0; d < 10; d++ {
		m := decodePNG(t, filepath.Join("..", "testdata", "digits", fmt.Sprintf("%d.png", d)))
		gray, ok := m.(*image.Gray)
		if !ok || gray.Rect.Dx() != 28 || gray.Rect.Dy() != 28 {
			t.Fatalf("digit %d: want a 28x28 gray PNG, got %T %v", d, m, m.Bounds())
		}
		// MNIST LeNet is trained on 0..255 scaled by 1/256 (scale 0.00390625).
		for i, v := range gray.Pix {
			batch.Data[d*784+i] = float32(v) * 0.00390625
		}
	}
	if err := x.Forward(map[string]*graph.Tensor{"data": batch}); err != nil {
		t.Fatal(err)
	}
	prob := x.Blob("prob")
	if !prob.Shape.Equal(graph.Shape{10, 10}) {
		t.Fatalf("prob shape %v", prob.Shape)
	}
	batched := append([]float32(nil), prob.Data...)
	right := 0
	for d := 0; d < 10; d++ {
		if got := argmax(batched[d*10 : d*10+10]); got == d {
			right++
		} else {
			t.Logf("digit %d read as %d", d, got)
		}
	}
	if right < 9 {
		t.Errorf("%d of 10 digits right, want at least 9", right)
	}

	if err := x.Reshape(map[string]graph.Shape{"data": {1, 1, 28, 28}}); err != nil {
		t.Fatal(err)
	}
	for d := 0; d < 10; d++ {
		one := &graph.Tensor{Shape: graph.Shape{1, 1, 28, 28}, Data: batch.Data[d*784 : d*784+784]}
		if err := x.Forward(map[string]*graph.Tensor{"data": one}); err != nil {
			t.Fatal(err)
		}
		for k, v := range x.Blob("prob").Data {
			if math.Abs(float64(v-batched[d*10+k])) > 1e-6 {
				t.Fatalf("digit %d class %d: alone %g, in the batch %g", d, k, v, batched[d*10+k])
			}
		}
	}
}

// TestRealCIFAR10Quick: the CIFAR-10 quick net with the V1-format weights
// of its prediction example classifies the example's three images as
// real Caffe did (dog 5, cat 3, truck 9; zoo SOURCES.md). Input: B, G, R
// planes of 0..255 samples minus the CIFAR-10 training-set channel mean
// (the example's mean.binaryproto is not published).
func TestRealCIFAR10Quick(t *testing.T) {
	zoo := sharedZoo(t)
	dir := filepath.Join(zoo, "cifar10_quick_v1weights")
	x := compileReal(t, filepath.Join(zoo, "cifar10", "cifar10_quick.prototxt"),
		filepath.Join(dir, "cifar10_quick_iter_5000.caffemodel"), "data", graph.Shape{3, 3, 32, 32})
	mean := [3]float32{113.9, 123.0, 125.3} // B, G, R
	files := []string{"dog10.png", "cat10.png", "truck10.png"}
	want := []int{5, 3, 9}
	in := graph.NewTensor(graph.Shape{3, 3, 32, 32})
	for n, f := range files {
		m := decodePNG(t, filepath.Join(dir, f))
		if m.Bounds().Dx() != 32 || m.Bounds().Dy() != 32 {
			t.Fatalf("%s is %v", f, m.Bounds())
		}
		for y := 0; y < 32; y++ {
			for xx := 0; xx < 32; xx++ {
				r, g, b, _ := m.At(xx, y).RGBA() // opaque images: straight values
				for c, v := range [3]uint32{b, g, r} {
					in.Data[((n*3+c)*32+y)*32+xx] = float32(v>>8) - mean[c]
				}
			}
		}
	}
	if err := x.Forward(map[string]*graph.Tensor{"data": in}); err != nil {
		t.Fatal(err)
	}
	prob := x.Blob("prob")
	for n, f := range files {
		row := prob.Data[n*10 : n*10+10]
		if got := argmax(row); got != want[n] {
			t.Errorf("%s: class %d (p %.3f), want %d (p %.3f)", f, got, row[got], want[n], row[want[n]])
		}
	}
}
