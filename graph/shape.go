package graph

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxElements bounds the element count of any single blob shape accepted by
// shape inference (2^31 float32 values, 8 GiB). It can be raised by callers
// that really mean it.
var MaxElements int64 = 1 << 31

// Shape is a blob shape in Caffe's axis order (N, C, H, W, ...). A zero-axis
// shape is a scalar.
type Shape []int

// Count is the number of elements (1 for a scalar).
func (s Shape) Count() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// CountFrom is the product of dims from axis start (inclusive) to end (exclusive).
func (s Shape) CountRange(start, end int) int {
	n := 1
	for i := start; i < end && i < len(s); i++ {
		n *= s[i]
	}
	return n
}

// Count64 returns the element count and whether it fits MaxElements without overflow.
func (s Shape) Count64() (int64, bool) {
	n := int64(1)
	for _, d := range s {
		if d < 0 {
			return 0, false
		}
		if d == 0 {
			return 0, true
		}
		if n > math.MaxInt64/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, n <= MaxElements
}

// Clone returns a copy.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// Equal reports whether two shapes are identical.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// String formats as 1x3x224x224 ("scalar" for zero axes).
func (s Shape) String() string {
	if len(s) == 0 {
		return "scalar"
	}
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = strconv.Itoa(d)
	}
	return strings.Join(p, "x")
}

// CanonicalAxis maps a possibly negative axis index into [0, rank), as
// Caffe's Blob::CanonicalAxisIndex does.
func CanonicalAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for a %d-axis blob", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}
