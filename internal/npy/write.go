package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/caffetool/caffetool/graph"
)

// Write stores t at path as a little-endian float32 .npy file.
func Write(path string, t *graph.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if err := Encode(f, t); err != nil {
		f.Close()
		return fmt.Errorf("npy %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("npy %s: %w", path, err)
	}
	return nil
}

// Encode writes t as an .npy stream: format 1.0 (2.0 only if the header
// would not fit 65535 bytes), header padded with spaces and a newline so
// the data starts on a 64-byte boundary, as NumPy does.
func Encode(w io.Writer, t *graph.Tensor) error {
	if t == nil {
		return fmt.Errorf("nil tensor")
	}
	n, ok := t.Shape.Count64()
	if !ok || int64(len(t.Data)) != n {
		return fmt.Errorf("%w: shape %v, %d values", ErrShape, t.Shape, len(t.Data))
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	shape += ")"
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"

	major, prefix := byte(1), 10
	if len(dict)+1+prefix > math.MaxUint16 {
		major, prefix = 2, 12
	}
	total := prefix + len(dict) + 1
	pad := (64 - total%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"

	bw := bufio.NewWriter(w)
	bw.WriteString(magic)
	bw.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(bw, binary.LittleEndian, uint16(len(hdr)))
	} else {
		binary.Write(bw, binary.LittleEndian, uint32(len(hdr)))
	}
	bw.WriteString(hdr)
	var b [4]byte
	for _, v := range t.Data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		bw.Write(b[:])
	}
	return bw.Flush()
}
