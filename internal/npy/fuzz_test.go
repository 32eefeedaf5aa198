package npy

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzNpy reads fuzzed bytes both as a stream (Decode, size unknown) and
// as a file (Read, which checks the header against the file size first):
// the two must agree, and an array that reads must survive Encode and
// Decode bit for bit. (FuzzDecode in npy_test.go checks Decode alone.)
func FuzzNpy(f *testing.F) {
	globs := []string{filepath.Join("testdata", "*.npy"), filepath.Join("..", "..", "testdata", "bad", "*.npy")}
	if shared := os.Getenv("CAFFETOOL_SHARED"); shared != "" {
		globs = append(globs, filepath.Join(shared, "conformance", "layers", "*", "inputs", "*.npy"))
	}
	for _, g := range globs {
		paths, _ := filepath.Glob(g)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil && len(b) <= 8<<10 {
				f.Add(b)
			}
		}
	}
	file := filepath.Join(f.TempDir(), "fuzz.npy")
	f.Fuzz(func(t *testing.T, data []byte) {
		streamed, serr := Decode(bytes.NewReader(data), "fuzz")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		read, rerr := Read(file)
		if (serr == nil) != (rerr == nil) {
			t.Fatalf("Decode: %v; Read: %v", serr, rerr)
		}
		if serr != nil {
			return
		}
		if !streamed.Shape.Equal(read.Shape) || !sameBits(streamed.Data, read.Data) {
			t.Fatalf("Decode gives %v, Read gives %v", streamed.Shape, read.Shape)
		}
		if int64(len(read.Data)) != int64(read.Shape.Count()) {
			t.Fatalf("shape %v with %d values", read.Shape, len(read.Data))
		}
		var buf bytes.Buffer
		if err := Encode(&buf, read); err != nil {
			t.Fatalf("encoding a decoded array: %v", err)
		}
		again, err := Decode(&buf, "again")
		if err != nil {
			t.Fatalf("decoding an encoded array: %v", err)
		}
		if !again.Shape.Equal(read.Shape) || !sameBits(again.Data, read.Data) {
			t.Fatalf("round trip changed %v into %v", read.Shape, again.Shape)
		}
	})
}

// sameBits compares float32 slices bit for bit (NaN payloads included).
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
