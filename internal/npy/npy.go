package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/caffetool/caffetool/graph"
)

const magic = "\x93NUMPY"

// maxHeader bounds the header dict; NumPy itself refuses headers over
// 10000 bytes by default, so real files stay far below this.
const maxHeader = 1 << 20

// Read loads the array in the .npy file at path.
func Read(path string) (*graph.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("npy %s: %w", path, err)
	}
	return decode(bufio.NewReader(f), st.Size(), path)
}

// Decode reads one array from r; name labels errors (e.g. a file name).
func Decode(r io.Reader, name string) (*graph.Tensor, error) {
	return decode(r, -1, name)
}

// dtype is a parsed descr: element kind ('b', 'i', 'u', 'f'), byte size
// and byte order.
type dtype struct {
	kind  byte
	size  int
	order binary.ByteOrder
}

func parseDescr(s string) (dtype, error) {
	var d dtype
	if len(s) < 2 {
		return d, fmt.Errorf("unsupported dtype %q", s)
	}
	body := s
	switch s[0] {
	case '<':
		d.order, body = binary.LittleEndian, s[1:]
	case '>':
		d.order, body = binary.BigEndian, s[1:]
	case '|', '=':
		d.order, body = binary.NativeEndian, s[1:]
	default:
		d.order = binary.NativeEndian
	}
	if len(body) < 2 {
		return d, fmt.Errorf("unsupported dtype %q", s)
	}
	d.kind = body[0]
	n, err := strconv.Atoi(body[1:])
	if err != nil {
		return d, fmt.Errorf("unsupported dtype %q", s)
	}
	d.size = n
	ok := false
	switch d.kind {
	case 'b':
		ok = n == 1
	case 'i', 'u':
		ok = n == 1 || n == 2 || n == 4 || n == 8
	case 'f':
		ok = n == 4 || n == 8
	}
	if !ok {
		return d, fmt.Errorf("unsupported dtype %q (want bool, int, uint, float32 or float64)", s)
	}
	if s[0] == '|' && n != 1 {
		return d, fmt.Errorf("dtype %q: multi-byte types need a byte order", s)
	}
	return d, nil
}

// value converts the element at b to float32.
func (d dtype) value(b []byte) float32 {
	switch d.kind {
	case 'b':
		if b[0] != 0 {
			return 1
		}
		return 0
	case 'f':
		if d.size == 4 {
			return math.Float32frombits(d.order.Uint32(b))
		}
		return float32(math.Float64frombits(d.order.Uint64(b)))
	case 'u':
		switch d.size {
		case 1:
			return float32(b[0])
		case 2:
			return float32(d.order.Uint16(b))
		case 4:
			return float32(d.order.Uint32(b))
		}
		return float32(d.order.Uint64(b))
	}
	switch d.size {
	case 1:
		return float32(int8(b[0]))
	case 2:
		return float32(int16(d.order.Uint16(b)))
	case 4:
		return float32(int32(d.order.Uint32(b)))
	}
	return float32(int64(d.order.Uint64(b)))
}

// decode reads an array; size is the total byte count of the input when
// known (-1 otherwise), used to reject impossible headers before reading.
func decode(r io.Reader, size int64, name string) (*graph.Tensor, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("npy %s: %s", name, fmt.Sprintf(format, a...))
	}
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fail("too short for an .npy file")
	}
	if string(pre[:6]) != magic {
		return nil, fail("not an .npy file (bad magic)")
	}
	major, minor := pre[6], pre[7]
	var hlen int64
	var offset int64
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fail("truncated header length")
		}
		hlen, offset = int64(binary.LittleEndian.Uint16(b[:])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fail("truncated header length")
		}
		hlen, offset = int64(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return nil, fail("unsupported format version %d.%d", major, minor)
	}
	if hlen > maxHeader {
		return nil, fail("header length %d exceeds the %d-byte limit", hlen, maxHeader)
	}
	if size >= 0 && offset+hlen > size {
		return nil, fail("header length %d runs past the end of the %d-byte file", hlen, size)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fail("truncated header")
	}
	offset += hlen
	h, err := parseHeader(string(hb))
	if err != nil {
		return nil, fail("header: %v", err)
	}
	dt, err := parseDescr(h.descr)
	if err != nil {
		return nil, fail("%v", err)
	}
	shape := graph.Shape(append([]int{}, h.shape...))
	count, ok := shape.Count64()
	if !ok {
		return nil, fail("shape %v has more than %d elements", h.shape, graph.MaxElements)
	}
	need := count * int64(dt.size) // count <= MaxElements, size <= 8: no overflow
	if size >= 0 && need > size-offset {
		return nil, fail("shape %v (%s) needs %d data bytes, the file has %d", h.shape, h.descr, need, size-offset)
	}
	// ReadAll grows with the bytes actually read, so a lying header on a
	// stream of unknown size costs no more memory than the stream holds.
	data, err := io.ReadAll(io.LimitReader(r, need))
	if err != nil {
		return nil, fail("reading data: %v", err)
	}
	if int64(len(data)) != need {
		return nil, fail("truncated data: shape %v (%s) needs %d bytes, got %d", h.shape, h.descr, need, len(data))
	}
	t := &graph.Tensor{Shape: shape, Data: make([]float32, count)}
	for i := range t.Data {
		t.Data[i] = dt.value(data[i*dt.size:])
	}
	if h.fortran && len(shape) > 1 {
		t.Data = fortranToC(t.Data, shape)
	}
	return t, nil
}

// fortranToC reorders column-major data (first index fastest) into
// row-major order.
func fortranToC(src []float32, shape graph.Shape) []float32 {
	dst := make([]float32, len(src))
	idx := make([]int, len(shape))
	// Walk dst in C order while tracking the F-order offset.
	fstride := make([]int, len(shape))
	s := 1
	for i := range shape {
		fstride[i] = s
		s *= shape[i]
	}
	off := 0
	for i := range dst {
		dst[i] = src[off]
		for a := len(shape) - 1; a >= 0; a-- {
			idx[a]++
			off += fstride[a]
			if idx[a] < shape[a] {
				break
			}
			off -= idx[a] * fstride[a]
			idx[a] = 0
		}
	}
	return dst
}

// ErrShape reports a tensor whose data length disagrees with its shape.
var ErrShape = errors.New("tensor data length does not match its shape")
