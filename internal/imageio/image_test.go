package imageio

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func encodePNG(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeKinds(t *testing.T) {
	// Straight RGB of a translucent pixel is kept, alpha dropped.
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 10})
	nrgba.SetNRGBA(1, 0, color.NRGBA{1, 2, 3, 255})
	g16 := image.NewGray16(image.Rect(0, 0, 1, 1))
	g16.SetGray16(0, 0, color.Gray16{Y: 0x1234})
	rgb16 := image.NewRGBA64(image.Rect(0, 0, 1, 1))
	rgb16.SetRGBA64(0, 0, color.RGBA64{0xffff, 0x8000, 0x0001, 0xffff})
	pal := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.NRGBA{9, 8, 7, 255}})
	gray := image.NewGray(image.Rect(0, 0, 1, 1))
	gray.SetGray(0, 0, color.Gray{Y: 42})
	cases := []struct {
		name      string
		m         image.Image
		ch, depth int
		pix       []uint16
	}{
		{"nrgba", nrgba, 3, 8, []uint16{200, 100, 50, 1, 2, 3}},
		{"gray16", g16, 1, 16, []uint16{0x1234}},
		{"rgb16", rgb16, 3, 16, []uint16{0xffff, 0x8000, 0x0001}},
		{"paletted", pal, 3, 8, []uint16{9, 8, 7}},
		{"gray", gray, 1, 8, []uint16{42}},
	}
	for _, c := range cases {
		m, err := DecodeBytes(encodePNG(t, c.m))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Channels != c.ch || m.Depth != c.depth || m.Format != "png" || !equal16(m.Pix, c.pix) {
			t.Errorf("%s: got %d ch, %d bit, %s, %v; want %d ch, %d bit, %v", c.name, m.Channels, m.Depth, m.Format, m.Pix, c.ch, c.depth, c.pix)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	big := image.NewGray(image.Rect(0, 0, 300, 200))
	b := encodePNG(t, big)
	old := MaxPixels
	MaxPixels = 50000
	_, err := DecodeBytes(b)
	MaxPixels = old
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized image: %v", err)
	}
	if _, err := DecodeBytes([]byte("GIF89a garbage")); err == nil {
		t.Error("corrupt GIF accepted")
	}
	if _, err := DecodeBytes(b[:len(b)/2]); err == nil {
		t.Error("truncated PNG accepted")
	}
	if _, err := Load("testdata/does-not-exist.png"); err == nil || !strings.Contains(err.Error(), "does-not-exist") {
		t.Errorf("missing file: %v", err)
	}
}

func equal16(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
