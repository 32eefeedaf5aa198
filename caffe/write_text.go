package caffe

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// WriteText writes net in the text format exactly as Caffe's
// WriteProtoToTextFile (protobuf C++ TextFormat::Print) lays it out: fields
// in field-number order (so `layer` blocks come last), two-space
// indentation, one value per line, strings C-escaped in double quotes,
// floats in their shortest %g form that reads back to the same float32.
func WriteText(w io.Writer, net *caffepb.NetParameter) error {
	return WriteTextUnknown(w, net, nil)
}

// WriteTextUnknown is WriteText that also writes the fork fields a lenient
// parse skipped (res, may be nil) after the known fields of the message they
// were found in, so that rewriting a fork model keeps e.g. its interp_param.
func WriteTextUnknown(w io.Writer, net *caffepb.NetParameter, res *TextResult) error {
	_, err := w.Write(MarshalText(net, res))
	return err
}

// MarshalText renders any message as WriteTextUnknown does.
func MarshalText(m proto.Message, res *TextResult) []byte {
	p := &textPrinter{res: res}
	p.message(m.ProtoReflect(), 0)
	return p.buf.Bytes()
}

type textPrinter struct {
	buf bytes.Buffer
	res *TextResult
}

func (p *textPrinter) indent(n int) {
	for i := 0; i < n; i++ {
		p.buf.WriteString("  ")
	}
}

func (p *textPrinter) message(m protoreflect.Message, depth int) {
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	// C++ Reflection::ListFields sorts set fields by number.
	sort.Slice(fields, func(i, j int) bool { return fields[i].Number() < fields[j].Number() })
	for _, fd := range fields {
		v := m.Get(fd)
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				p.field(fd, l.Get(i), depth)
			}
			continue
		}
		p.field(fd, v, depth)
	}
	if p.res != nil {
		for _, u := range p.res.Unknown[UnknownKey{m}] {
			p.unknown(u, depth)
		}
	}
}

func (p *textPrinter) field(fd protoreflect.FieldDescriptor, v protoreflect.Value, depth int) {
	p.indent(depth)
	p.buf.WriteString(string(fd.Name()))
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		p.buf.WriteString(" {\n")
		p.message(v.Message(), depth+1)
		p.indent(depth)
		p.buf.WriteString("}\n")
		return
	}
	p.buf.WriteString(": ")
	p.buf.WriteString(formatScalar(fd, v))
	p.buf.WriteByte('\n')
}

func formatScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.FormatBool(v.Bool())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.FormatInt(v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.FormatUint(v.Uint(), 10)
	case protoreflect.FloatKind:
		return FormatFloat32(float32(v.Float()))
	case protoreflect.DoubleKind:
		return formatFloat64(v.Float())
	case protoreflect.StringKind:
		return cQuote(v.String())
	case protoreflect.BytesKind:
		return cQuote(string(v.Bytes()))
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.FormatInt(int64(v.Enum()), 10)
	}
	return fmt.Sprint(v.Interface())
}

// FormatFloat32 formats f as protobuf's SimpleFtoa does: %.6g (FLT_DIG) when
// that reads back as the same float32, else %.9g.
func FormatFloat32(f float32) string {
	switch {
	case math.IsInf(float64(f), 1):
		return "inf"
	case math.IsInf(float64(f), -1):
		return "-inf"
	case math.IsNaN(float64(f)):
		return "nan"
	}
	s := strconv.FormatFloat(float64(f), 'g', 6, 32)
	if r, err := strconv.ParseFloat(s, 32); err == nil && float32(r) == f {
		return s
	}
	return strconv.FormatFloat(float64(f), 'g', 9, 32)
}

// formatFloat64 is SimpleDtoa: %.15g (DBL_DIG) when exact, else %.17g.
func formatFloat64(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', 15, 64)
	if r, err := strconv.ParseFloat(s, 64); err == nil && r == f {
		return s
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// cQuote double-quotes s with C escapes, as protobuf's CEscape: \n \r \t
// \" \' \\ by name, any other byte outside printable ASCII as 3-digit octal.
func cQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// unknown writes a skipped fork field back. The record keeps the value's
// text but not whether it was quoted, so numbers, true/false and upper-case
// identifiers (enum values by convention) are written bare, anything else
// as a quoted string.
func (p *textPrinter) unknown(u *Unknown, depth int) {
	p.indent(depth)
	p.buf.WriteString(u.Name)
	if u.Message {
		p.buf.WriteString(" {\n")
		for _, c := range u.Children {
			p.unknown(c, depth+1)
		}
		p.indent(depth)
		p.buf.WriteString("}\n")
		return
	}
	p.buf.WriteString(": ")
	if bareUnknownValue(u) {
		p.buf.WriteString(u.Value)
	} else {
		p.buf.WriteString(cQuote(u.Value))
	}
	p.buf.WriteByte('\n')
}

func bareUnknownValue(u *Unknown) bool {
	// Written as it was read: quoted strings stay quoted, and a bare value
	// must still be one number or identifier token (the lexer would skip
	// blanks and # comments, so "0#x" would read back as 0).
	if u.Quoted || strings.ContainsAny(u.Value, " \t\r\n\v\f#") {
		return false
	}
	_, err := u.scalar()
	return err == nil
}
