package imageio

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// FuzzImage decodes fuzzed bytes as an image and, when that works, runs
// both preprocessing presets with resizing, cropping, channel conversion
// and means: no panic, and every tensor has the C×H×W shape asked for
// with every value finite.
func FuzzImage(f *testing.F) {
	dirs := []string{filepath.Join("..", "..", "testdata", "preprocess"), filepath.Join("..", "..", "testdata", "bad")}
	if shared := os.Getenv("CAFFETOOL_SHARED"); shared != "" {
		dirs = append(dirs, filepath.Join(shared, "zoo", "images"))
	}
	for _, dir := range dirs {
		paths, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range paths {
			switch filepath.Ext(p) {
			case ".png", ".jpg", ".jpeg", ".gif":
				if b, err := os.ReadFile(p); err == nil && len(b) <= 64<<10 {
					f.Add(b, uint8(0))
				}
			}
		}
	}
	for i, b := range seedImages(f) {
		f.Add(b, uint8(i*37))
	}
	// Keep decoded images small: a few header bytes can declare a huge
	// canvas, which the limit (not the fuzzer) is there to refuse.
	old := MaxPixels
	MaxPixels = 1 << 16
	f.Cleanup(func() { MaxPixels = old })
	f.Fuzz(func(t *testing.T, data []byte, opt uint8) {
		img, err := DecodeBytes(data)
		if err != nil {
			return
		}
		if img.Width <= 0 || img.Height <= 0 || img.Width*img.Height > MaxPixels ||
			len(img.Pix) != img.Width*img.Height*img.Channels {
			t.Fatalf("decoded %dx%dx%d image with %d samples", img.Width, img.Height, img.Channels, len(img.Pix))
		}
		o := Options{
			Preset:   []string{"caffe", "opencv"}[opt&1],
			Channels: []int{3, 1}[opt>>1&1],
			Crop:     opt>>2&1 == 1,
			SwapRB:   opt>>3&1 == 1,
			Width:    []int{0, 7, 1, 33}[opt>>4&3],
			Height:   []int{0, 5, 1, 40}[opt>>4&3],
		}
		switch opt >> 6 {
		case 1:
			o.Mean = []float32{104, 117, 123}[:o.Channels]
		case 2:
			o.MeanImage = &graph.Tensor{Shape: graph.Shape{o.Channels, 50, 50}, Data: make([]float32, o.Channels*2500)}
		case 3:
			o.Scale = 0.017
		}
		x, err := Preprocess(img, o)
		if err != nil {
			return
		}
		w, h := o.Width, o.Height
		if w == 0 {
			w, h = img.Width, img.Height
		}
		if !x.Shape.Equal(graph.Shape{o.Channels, h, w}) || len(x.Data) != x.Shape.Count() {
			t.Fatalf("options %+v: tensor %v with %d values, want %dx%dx%d", o, x.Shape, len(x.Data), o.Channels, h, w)
		}
		for i, v := range x.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("options %+v: value %d is %v", o, i, v)
			}
		}
	})
}

// seedImages are small images of each kind the decoders produce: gray,
// 16-bit, paletted GIF, JPEG (YCbCr).
func seedImages(tb testing.TB) [][]byte {
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	g16 := image.NewGray16(image.Rect(0, 0, 2, 2))
	pal := image.NewPaletted(image.Rect(0, 0, 4, 3), color.Palette{color.Black, color.White, color.NRGBA{200, 10, 10, 255}})
	rgba := image.NewNRGBA(image.Rect(0, 0, 9, 7))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i * 13)
		gray.Pix[i%len(gray.Pix)] = uint8(i)
		pal.Pix[i%len(pal.Pix)] = uint8(i % 3)
	}
	var out [][]byte
	var b bytes.Buffer
	for _, m := range []image.Image{gray, g16, rgba} {
		b.Reset()
		if err := png.Encode(&b, m); err != nil {
			tb.Fatal(err)
		}
		out = append(out, append([]byte(nil), b.Bytes()...))
	}
	b.Reset()
	if err := gif.Encode(&b, pal, nil); err != nil {
		tb.Fatal(err)
	}
	out = append(out, append([]byte(nil), b.Bytes()...))
	b.Reset()
	if err := jpeg.Encode(&b, rgba, &jpeg.Options{Quality: 50}); err != nil {
		tb.Fatal(err)
	}
	return append(out, append([]byte(nil), b.Bytes()...))
}
