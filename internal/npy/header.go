package npy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// header is the parsed dictionary of an .npy header.
type header struct {
	descr   string
	fortran bool
	shape   []int
}

// parseHeader reads the Python dict literal NumPy writes, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }. It accepts
// the subset of Python literal syntax such headers use (strings, True,
// False, integers with an optional Python 2 "L" suffix, tuples, lists) and
// nothing else.
func parseHeader(s string) (*header, error) {
	p := &litParser{s: s}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the header dict", p.rest())
	}
	dict, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("header is not a dict")
	}
	h := &header{}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := dict[key]; !ok {
			return nil, fmt.Errorf("header has no %q key", key)
		}
	}
	if len(dict) != 3 {
		return nil, fmt.Errorf("header has %d keys, want descr, fortran_order and shape", len(dict))
	}
	if h.descr, ok = dict["descr"].(string); !ok {
		return nil, errors.New("descr is not a plain dtype string (structured arrays are not supported)")
	}
	if h.fortran, ok = dict["fortran_order"].(bool); !ok {
		return nil, errors.New("fortran_order is not True or False")
	}
	tuple, ok := dict["shape"].(tuple)
	if !ok {
		return nil, errors.New("shape is not a tuple")
	}
	h.shape = make([]int, len(tuple))
	for i, d := range tuple {
		n, ok := d.(int64)
		if !ok || n < 0 || int64(int(n)) != n {
			return nil, fmt.Errorf("shape %v: dimension %d is not a non-negative integer", tuple, i)
		}
		h.shape[i] = int(n)
	}
	return h, nil
}

type tuple []any

// maxDepth bounds nesting so a hostile header cannot recurse deeply.
const maxDepth = 8

type litParser struct {
	s string
	i int
}

func (p *litParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *litParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *litParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("header nests too deeply")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, errors.New("header ends early")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict(depth)
	case c == '(':
		items, err := p.seq(depth, ')')
		return tuple(items), err
	case c == '[':
		return p.seq(depth, ']')
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.int()
	}
	for _, kw := range []struct {
		s string
		v any
	}{{"True", true}, {"False", false}, {"None", nil}} {
		if strings.HasPrefix(p.s[p.i:], kw.s) {
			p.i += len(kw.s)
			return kw.v, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q in header", p.rest())
}

func (p *litParser) dict(depth int) (map[string]any, error) {
	p.i++ // {
	d := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, errors.New("header dict key is not a string")
		}
		if _, dup := d[key]; dup {
			return nil, fmt.Errorf("header repeats key %q", key)
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("expected ':' after key %q", key)
		}
		p.i++
		if d[key], err = p.value(depth + 1); err != nil {
			return nil, err
		}
		if err := p.sep('}'); err != nil {
			return nil, err
		}
	}
}

func (p *litParser) seq(depth int, end byte) ([]any, error) {
	p.i++ // ( or [
	items := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return items, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		if err := p.sep(end); err != nil {
			return nil, err
		}
	}
}

// sep consumes the ',' between items, or leaves a closing end in place.
func (p *litParser) sep(end byte) error {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ',' {
		p.i++
		return nil
	}
	if p.i < len(p.s) && p.s[p.i] == end {
		return nil
	}
	return fmt.Errorf("expected ',' or %q, found %q", end, p.rest())
}

// str reads a quoted string without escapes (dtype descriptors and keys
// never contain any).
func (p *litParser) str() (string, error) {
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", errors.New("unterminated string in header")
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", fmt.Errorf("escaped string %q in header is not supported", v)
	}
	p.i += j + 2
	return v, nil
}

func (p *litParser) int() (int64, error) {
	j := p.i
	if p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad integer %q in header", p.s[p.i:j])
	}
	if j < len(p.s) && (p.s[j] == 'L' || p.s[j] == 'l') { // Python 2 long
		j++
	}
	p.i = j
	return n, nil
}
