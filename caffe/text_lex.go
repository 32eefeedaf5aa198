package caffe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Tokenizer for the protobuf text format, following the lexical rules of
// the C++ tokenizer that Caffe's ReadProtoFromTextFile goes through: '#'
// comments, identifiers, decimal/hex/octal integers, floats with an optional
// exponent and 'f' suffix, and single- or double-quoted strings with C
// escapes. A '-' sign is its own token, as in C++, so "- 1" is accepted.

type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokIdent          // field names, enum names, true/false, inf/nan
	tokInt            // integer literal: decimal, 0x hex or 0 octal
	tokFloat          // literal with '.', exponent or 'f' suffix
	tokString         // one quoted literal; text holds the decoded bytes
	tokSymbol         // one of { } < > [ ] : ; , -
)

type token struct {
	kind      tokKind
	text      string
	line, col int
}

// describe renders a token for "found ..." in error messages.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokString:
		return fmt.Sprintf("string %q", t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

func (t token) isSym(s string) bool { return t.kind == tokSymbol && t.text == s }

type lexer struct {
	file      string
	src       []byte
	pos       int
	line      int
	lineStart int
	ahead     token // one token of lookahead, valid when hasAhead
	hasAhead  bool
	idents    map[string]string // interned identifiers: field names repeat a lot
}

func newLexer(file string, src []byte) *lexer {
	lx := &lexer{file: file, src: src, line: 1}
	// A UTF-8 byte order mark is an editor artefact, not content.
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		lx.pos, lx.lineStart = 3, 3
	}
	return lx
}

func (lx *lexer) errorAt(line, col int, format string, args ...any) *TextError {
	return &TextError{File: lx.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (lx *lexer) peek() (token, error) {
	if !lx.hasAhead {
		t, err := lx.scan()
		if err != nil {
			return t, err
		}
		lx.ahead, lx.hasAhead = t, true
	}
	return lx.ahead, nil
}

func (lx *lexer) next() (token, error) {
	t, err := lx.peek()
	lx.hasAhead = false
	return t, err
}

// trySym consumes the next token if it is the symbol s.
func (lx *lexer) trySym(s string) (bool, error) {
	t, err := lx.peek()
	if err != nil {
		return false, err
	}
	if t.isSym(s) {
		lx.hasAhead = false
		return true, nil
	}
	return false, nil
}

func isLetter(c byte) bool { return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func (lx *lexer) skipSpaceAndComments() {
	for lx.pos < len(lx.src) {
		switch c := lx.src[lx.pos]; c {
		case '\n':
			lx.pos++
			lx.line++
			lx.lineStart = lx.pos
		case ' ', '\t', '\r', '\v', '\f':
			lx.pos++
		case '#':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
		default:
			return
		}
	}
}

func (lx *lexer) scan() (token, error) {
	lx.skipSpaceAndComments()
	t := token{line: lx.line, col: lx.pos - lx.lineStart + 1}
	if lx.pos >= len(lx.src) {
		t.kind = tokEOF
		return t, nil
	}
	start := lx.pos
	c := lx.src[lx.pos]
	switch {
	case isLetter(c):
		for lx.pos < len(lx.src) && (isLetter(lx.src[lx.pos]) || isDigit(lx.src[lx.pos])) {
			lx.pos++
		}
		t.kind, t.text = tokIdent, lx.intern(lx.src[start:lx.pos])
		return t, nil
	case isDigit(c) || (c == '.' && lx.pos+1 < len(lx.src) && isDigit(lx.src[lx.pos+1])):
		return lx.scanNumber(t)
	case c == '"' || c == '\'':
		return lx.scanString(t)
	case strings.IndexByte("{}<>[]:;,-", c) >= 0:
		lx.pos++
		t.kind, t.text = tokSymbol, string(c)
		return t, nil
	}
	r, size := utf8.DecodeRune(lx.src[lx.pos:])
	if r == utf8.RuneError && size <= 1 {
		return t, lx.errorAt(t.line, t.col, "unexpected byte 0x%02x: not text (is this a binary file?)", c)
	}
	return t, lx.errorAt(t.line, t.col, "unexpected character %q", r)
}

func (lx *lexer) intern(b []byte) string {
	if s, ok := lx.idents[string(b)]; ok {
		return s
	}
	if lx.idents == nil {
		lx.idents = map[string]string{}
	}
	s := string(b)
	lx.idents[s] = s
	return s
}

func (lx *lexer) scanNumber(t token) (token, error) {
	src, start := lx.src, lx.pos
	digits := func(ok func(byte) bool) int {
		n := 0
		for lx.pos < len(src) && ok(src[lx.pos]) {
			lx.pos++
			n++
		}
		return n
	}
	t.kind = tokInt
	switch {
	case src[lx.pos] == '0' && lx.pos+1 < len(src) && (src[lx.pos+1] == 'x' || src[lx.pos+1] == 'X'):
		lx.pos += 2
		if digits(isHex) == 0 {
			return t, lx.errorAt(t.line, t.col, "\"0x\" must be followed by hex digits")
		}
	case src[lx.pos] == '0' && lx.pos+1 < len(src) && isDigit(src[lx.pos+1]):
		digits(isDigit)
		for _, d := range src[start+1 : lx.pos] {
			if d > '7' {
				return t, lx.errorAt(t.line, t.col, "number %q starts with 0 but is not octal", src[start:lx.pos])
			}
		}
	default:
		digits(isDigit)
		if lx.pos < len(src) && src[lx.pos] == '.' {
			lx.pos++
			digits(isDigit)
			t.kind = tokFloat
		}
		if lx.pos < len(src) && (src[lx.pos] == 'e' || src[lx.pos] == 'E') {
			lx.pos++
			if lx.pos < len(src) && (src[lx.pos] == '+' || src[lx.pos] == '-') {
				lx.pos++
			}
			if digits(isDigit) == 0 {
				return t, lx.errorAt(t.line, t.col, "exponent of %q has no digits", src[start:lx.pos])
			}
			t.kind = tokFloat
		}
		if lx.pos < len(src) && (src[lx.pos] == 'f' || src[lx.pos] == 'F') {
			lx.pos++
			t.kind = tokFloat
		}
	}
	if lx.pos < len(src) && (isLetter(src[lx.pos]) || isDigit(src[lx.pos])) {
		return t, lx.errorAt(t.line, t.col, "number %q runs into %q (a space is needed between them)",
			src[start:lx.pos], src[lx.pos])
	}
	t.text = string(src[start:lx.pos])
	return t, nil
}

var simpleEscapes = map[byte]byte{
	'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
	'\\': '\\', '?': '?', '\'': '\'', '"': '"',
}

func (lx *lexer) scanString(t token) (token, error) {
	src := lx.src
	quote := src[lx.pos]
	lx.pos++
	// Fast path: no escapes, the literal is a slice of the source.
	for i := lx.pos; i < len(src) && src[i] != '\n' && src[i] != '\\'; i++ {
		if src[i] == quote {
			t.kind, t.text = tokString, string(src[lx.pos:i])
			lx.pos = i + 1
			return t, nil
		}
	}
	var b []byte
	for {
		if lx.pos >= len(src) || src[lx.pos] == '\n' {
			return t, lx.errorAt(t.line, t.col, "string literal is not terminated on its line")
		}
		c := src[lx.pos]
		if c == quote {
			lx.pos++
			t.kind, t.text = tokString, string(b)
			return t, nil
		}
		if c != '\\' {
			b = append(b, c)
			lx.pos++
			continue
		}
		escCol := lx.pos - lx.lineStart + 1
		lx.pos++
		if lx.pos >= len(src) {
			return t, lx.errorAt(t.line, t.col, "string literal is not terminated on its line")
		}
		e := src[lx.pos]
		lx.pos++
		if r, ok := simpleEscapes[e]; ok {
			b = append(b, r)
			continue
		}
		switch {
		case '0' <= e && e <= '7':
			v := int(e - '0')
			for i := 0; i < 2 && lx.pos < len(src) && '0' <= src[lx.pos] && src[lx.pos] <= '7'; i++ {
				v = v*8 + int(src[lx.pos]-'0')
				lx.pos++
			}
			b = append(b, byte(v)) // \400 and up wrap, as a C char does
		case e == 'x' || e == 'X':
			v, n := 0, 0
			for ; n < 2 && lx.pos < len(src) && isHex(src[lx.pos]); n++ {
				v = v*16 + hexVal(src[lx.pos])
				lx.pos++
			}
			if n == 0 {
				return t, lx.errorAt(t.line, escCol, "\\x escape without hex digits")
			}
			b = append(b, byte(v))
		case e == 'u' || e == 'U':
			n := 4
			if e == 'U' {
				n = 8
			}
			v := 0
			for i := 0; i < n; i++ {
				if lx.pos >= len(src) || !isHex(src[lx.pos]) {
					return t, lx.errorAt(t.line, escCol, "\\%c escape needs %d hex digits", e, n)
				}
				v = v*16 + hexVal(src[lx.pos])
				lx.pos++
			}
			if v > utf8.MaxRune || (0xD800 <= v && v < 0xE000) {
				return t, lx.errorAt(t.line, escCol, "\\%c escape is not a valid code point", e)
			}
			b = utf8.AppendRune(b, rune(v))
		default:
			return t, lx.errorAt(t.line, escCol, "invalid escape sequence \\%c in string literal", e)
		}
	}
}

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}
