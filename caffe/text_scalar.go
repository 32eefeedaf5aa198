package caffe

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// scalar is one field value as written: an optional '-' and a number or
// identifier, or one or more adjacent quoted strings (already joined).
type scalar struct {
	neg    bool
	quoted bool
	kind   tokKind // tokInt, tokFloat, tokIdent or tokString
	text   string  // literal text without the sign, or the decoded string
}

// String renders the value as text: the sign and literal, or the string.
func (s scalar) String() string {
	if s.neg {
		return "-" + s.text
	}
	return s.text
}

// intLiteral parses a decimal, 0x hex or 0 octal integer literal.
func intLiteral(text string) (uint64, error) {
	base, digits := 10, text
	switch {
	case len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'):
		base, digits = 16, text[2:]
	case len(text) > 1 && text[0] == '0':
		base, digits = 8, text[1:]
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("integer %s is out of range", text)
		}
		return 0, fmt.Errorf("%q is not an integer", text)
	}
	return v, nil
}

// signedValue converts s to a signed integer of the given bit size.
func (s scalar) signedValue(bits int) (int64, error) {
	if s.kind != tokInt {
		return 0, fmt.Errorf("expected an integer, found %s", s.describe())
	}
	u, err := intLiteral(s.text)
	if err != nil {
		return 0, err
	}
	limit := uint64(1) << (bits - 1) // magnitude of the most negative value
	if (!s.neg && u >= limit) || (s.neg && u > limit) {
		return 0, fmt.Errorf("integer %s is out of range for a %d-bit signed field", s, bits)
	}
	if s.neg && u > 0 {
		return -int64(u-1) - 1, nil // avoids overflowing on the minimum
	}
	return int64(u), nil
}

// unsignedValue converts s to an unsigned integer of the given bit size.
func (s scalar) unsignedValue(bits int) (uint64, error) {
	if s.kind != tokInt {
		return 0, fmt.Errorf("expected an integer, found %s", s.describe())
	}
	if s.neg {
		return 0, fmt.Errorf("negative value %s for an unsigned field", s)
	}
	u, err := intLiteral(s.text)
	if err != nil {
		return 0, err
	}
	if bits < 64 && u >= uint64(1)<<bits {
		return 0, fmt.Errorf("integer %s is out of range for a %d-bit unsigned field", s, bits)
	}
	return u, nil
}

// floatValue converts s to a float64 as C++ strtod would: decimal integers
// and float literals (with an optional f suffix), inf/infinity/nan in any
// case. Hex and octal literals are rejected, as by current protobuf.
func (s scalar) floatValue() (float64, error) {
	var v float64
	switch s.kind {
	case tokInt, tokFloat:
		lit := s.text
		if s.kind == tokInt && len(lit) > 1 && lit[0] == '0' {
			return 0, fmt.Errorf("expected a decimal number, found %s", s.describe())
		}
		lit = strings.TrimRight(lit, "fF")
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) { // overflow gives ±Inf, like strtod
			return 0, fmt.Errorf("%q is not a number", s.text)
		}
		v = f
	case tokIdent:
		switch strings.ToLower(s.text) {
		case "inf", "infinity":
			v = math.Inf(1)
		case "nan":
			v = math.NaN()
		default:
			return 0, fmt.Errorf("expected a number, found %s", s.describe())
		}
	default:
		return 0, fmt.Errorf("expected a number, found %s", s.describe())
	}
	if s.neg {
		v = -v
	}
	return v, nil
}

// float32Value narrows like protobuf's SafeDoubleToFloat: anything beyond
// the float32 range becomes an infinity instead of rounding to MaxFloat32.
func (s scalar) float32Value() (float32, error) {
	v, err := s.floatValue()
	if err != nil {
		return 0, err
	}
	switch {
	case v > math.MaxFloat32:
		return float32(math.Inf(1)), nil
	case v < -math.MaxFloat32:
		return float32(math.Inf(-1)), nil
	}
	return float32(v), nil
}

// boolValue accepts what C++ TextFormat accepts: true/True/t, false/False/f,
// and the integers 0 and 1.
func (s scalar) boolValue() (bool, error) {
	switch s.kind {
	case tokIdent:
		if !s.neg {
			switch s.text {
			case "true", "True", "t":
				return true, nil
			case "false", "False", "f":
				return false, nil
			}
		}
	case tokInt:
		if u, err := s.unsignedValue(64); err == nil && u <= 1 {
			return u == 1, nil
		}
	}
	return false, fmt.Errorf("expected true or false, found %s", s.describe())
}

func (s scalar) describe() string {
	if s.quoted {
		return fmt.Sprintf("string %q", s.text)
	}
	return fmt.Sprintf("%q", s.String())
}
