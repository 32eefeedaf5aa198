package caffe

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// DefaultMaxDepth bounds message nesting in text files. Real Caffe files
// nest at most five or six levels; the bound keeps hostile input from
// exhausting the stack.
const DefaultMaxDepth = 100

// TextOptions controls ParseText.
type TextOptions struct {
	// Strict turns unknown fields and unknown enum values into errors, as
	// Caffe itself treats them. By default they are skipped with a Warning
	// and kept in TextResult.Unknown.
	Strict bool
	// MaxDepth caps message nesting; 0 means DefaultMaxDepth.
	MaxDepth int
}

// ReadText reads a .prototxt file into msg; see ParseText.
func ReadText(filename string, msg proto.Message, opts TextOptions) (*TextResult, error) {
	data, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	if err := checkNotEmpty(filename, data); err != nil {
		return nil, err
	}
	return ParseText(filename, data, msg, opts)
}

// checkNotEmpty rejects a zero-byte net file. It would parse as a net
// without layers, but in practice it is a failed download or copy.
func checkNotEmpty(filename string, data []byte) error {
	if len(data) == 0 {
		return &TextError{File: filename, Line: 1, Col: 1, Msg: "the file is empty"}
	}
	return nil
}

// ParseText parses protobuf text format into msg (reset first), with the
// grammar C++ TextFormat accepts, which is what Caffe reads: `name: value`,
// `name { ... }` (colon and <> optional), repeated fields given several
// times or as [a, b] lists, enums by name or number, optional ; or ,
// separators. Required fields are not checked.
//
// Errors are *TextError, located at the offending token. filename is used
// only in messages. Unknown fields and enum values are skipped with a
// warning (errors with opts.Strict) and recorded in the result.
func ParseText(filename string, data []byte, msg proto.Message, opts TextOptions) (*TextResult, error) {
	if msg == nil {
		return nil, fmt.Errorf("caffe.ParseText: nil message")
	}
	m := msg.ProtoReflect()
	if !m.IsValid() {
		return nil, fmt.Errorf("caffe.ParseText: message %s is a nil pointer", m.Descriptor().FullName())
	}
	proto.Reset(msg)
	p := &parser{lx: newLexer(filename, data), opts: opts, res: &TextResult{}}
	if p.opts.MaxDepth <= 0 {
		p.opts.MaxDepth = DefaultMaxDepth
	}
	if err := p.parseFields(m, token{}); err != nil {
		return nil, err
	}
	// Paths are built only now, so that a layer's name written after the
	// offending field still shows up in the warning.
	for _, w := range p.pending {
		w.warn.Path = formatPath(w.path)
		p.res.Warnings = append(p.res.Warnings, w.warn)
	}
	return p.res, nil
}

type parser struct {
	lx      *lexer
	opts    TextOptions
	res     *TextResult
	path    []pathElem // fields from the root to the message being parsed
	depth   int
	pending []pendingWarning
}

// pathElem is one step into a message: field name, element index for
// repeated fields (-1 otherwise) and the message entered, whose name field
// (layers have one) is shown when set.
type pathElem struct {
	field string
	index int
	msg   protoreflect.Message
}

type pendingWarning struct {
	warn Warning
	path []pathElem
}

func formatPath(path []pathElem) string {
	var b strings.Builder
	for i, e := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.field)
		if e.index >= 0 {
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		}
		if e.msg == nil {
			continue
		}
		if fd := e.msg.Descriptor().Fields().ByName("name"); fd != nil &&
			fd.Kind() == protoreflect.StringKind && !fd.IsList() && e.msg.Has(fd) {
			b.WriteString("(" + e.msg.Get(fd).String() + ")")
		}
	}
	return b.String()
}

func (p *parser) errorAt(t token, format string, args ...any) error {
	return p.lx.errorAt(t.line, t.col, format, args...)
}

// warnOrFail reports a skipped field or value: an error in strict mode, a
// warning at path+last otherwise.
func (p *parser) warnOrFail(t token, last string, format string, args ...any) error {
	if p.opts.Strict {
		return p.errorAt(t, strings.TrimSuffix(format, ", ignored"), args...)
	}
	path := append(append([]pathElem(nil), p.path...), pathElem{field: last, index: -1})
	p.pending = append(p.pending, pendingWarning{
		warn: Warning{File: p.lx.file, Line: t.line, Col: t.col, Msg: fmt.Sprintf(format, args...)},
		path: path,
	})
	return nil
}

// closerOf returns the symbol closing an opening '{' or '<'.
func closerOf(open token) string {
	if open.isSym("<") {
		return ">"
	}
	return "}"
}

func (p *parser) enter(open token) error {
	p.depth++
	if p.depth > p.opts.MaxDepth {
		return p.errorAt(open, "messages nested deeper than %d levels", p.opts.MaxDepth)
	}
	return nil
}

// parseFields parses fields into m until the closer of open, or until the
// end of input when open is the zero token (top level).
func (p *parser) parseFields(m protoreflect.Message, open token) error {
	closer := ""
	if open.kind == tokSymbol {
		closer = closerOf(open)
	}
	for {
		t, err := p.lx.peek()
		if err != nil {
			return err
		}
		switch {
		case t.kind == tokEOF && closer == "":
			return nil
		case t.kind == tokEOF:
			return p.errorAt(t, "unexpected end of file: %q opened at line %d column %d is not closed",
				open.text, open.line, open.col)
		case closer != "" && t.isSym(closer):
			p.lx.next()
			return nil
		}
		if err := p.parseField(m); err != nil {
			return err
		}
	}
}

func (p *parser) parseField(m protoreflect.Message) error {
	name, err := p.lx.next()
	if err != nil {
		return err
	}
	if name.isSym("[") {
		return p.errorAt(name, "extension and Any fields ([...]) are not supported")
	}
	if name.kind != tokIdent {
		return p.errorAt(name, "expected a field name, found %s", name.describe())
	}
	md := m.Descriptor()
	fd := md.Fields().ByTextName(name.text)
	if fd == nil {
		if err := p.warnOrFail(name, name.text, "unknown field %q in %s, ignored", name.text, md.FullName()); err != nil {
			return err
		}
		us, err := p.skipField(name)
		if err != nil {
			return err
		}
		p.res.addUnknown(m, us...)
		return p.endOfField()
	}
	if fd.IsMap() {
		return p.errorAt(name, "map field %q is not supported", name.text)
	}
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		err = p.parseMessageField(m, fd, name)
	} else {
		err = p.parseScalarField(m, fd, name)
	}
	if err != nil {
		return err
	}
	return p.endOfField()
}

// endOfField consumes an optional ';' or ',' after a field.
func (p *parser) endOfField() error {
	if ok, err := p.lx.trySym(";"); ok || err != nil {
		return err
	}
	_, err := p.lx.trySym(",")
	return err
}

// checkSingular rejects a second value for a non-repeated field, as C++
// TextFormat::Parse does, including a second member of a oneof.
func (p *parser) checkSingular(m protoreflect.Message, fd protoreflect.FieldDescriptor, name token) error {
	if fd.IsList() {
		return nil
	}
	if m.Has(fd) {
		return p.errorAt(name, "non-repeated field %q is specified more than once", name.text)
	}
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		if other := m.WhichOneof(od); other != nil {
			return p.errorAt(name, "field %q and field %q of oneof %q are both set", name.text, other.TextName(), od.Name())
		}
	}
	return nil
}

func (p *parser) parseMessageField(m protoreflect.Message, fd protoreflect.FieldDescriptor, name token) error {
	if _, err := p.lx.trySym(":"); err != nil {
		return err
	}
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	if t.isSym("[") {
		if !fd.IsList() {
			return p.errorAt(t, "field %q is not repeated and cannot take a [list]", name.text)
		}
		return p.parseList(t, func() error {
			open, err := p.lx.next()
			if err != nil {
				return err
			}
			return p.parseMessageValue(m, fd, name, open)
		})
	}
	return p.parseMessageValue(m, fd, name, t)
}

// parseMessageValue parses one { } or < > block, open being its first token.
func (p *parser) parseMessageValue(m protoreflect.Message, fd protoreflect.FieldDescriptor, name, open token) error {
	if !open.isSym("{") && !open.isSym("<") {
		return p.errorAt(open, "expected \"{\" for message field %q, found %s", name.text, open.describe())
	}
	if err := p.checkSingular(m, fd, name); err != nil {
		return err
	}
	if err := p.enter(open); err != nil {
		return err
	}
	var child protoreflect.Message
	index := -1
	if fd.IsList() {
		l := m.Mutable(fd).List()
		child = l.AppendMutable().Message()
		index = l.Len() - 1
	} else {
		child = m.Mutable(fd).Message()
	}
	p.path = append(p.path, pathElem{field: name.text, index: index, msg: child})
	if err := p.parseFields(child, open); err != nil {
		return err
	}
	p.path = p.path[:len(p.path)-1]
	p.depth--
	return nil
}

// parseList parses the elements of a [ ... ] list whose '[' was consumed,
// calling elem for each.
func (p *parser) parseList(open token, elem func() error) error {
	if ok, err := p.lx.trySym("]"); ok || err != nil {
		return err
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		t, err := p.lx.next()
		if err != nil {
			return err
		}
		if t.isSym("]") {
			return nil
		}
		if !t.isSym(",") {
			return p.errorAt(t, "expected \",\" or \"]\" in the list opened at line %d column %d, found %s",
				open.line, open.col, t.describe())
		}
	}
}

func (p *parser) parseScalarField(m protoreflect.Message, fd protoreflect.FieldDescriptor, name token) error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	if !t.isSym(":") {
		return p.errorAt(t, "expected \":\" after field %q, found %s", name.text, t.describe())
	}
	if ok, err := p.lx.trySym("["); err != nil {
		return err
	} else if ok {
		if !fd.IsList() {
			return p.errorAt(t, "field %q is not repeated and cannot take a [list]", name.text)
		}
		return p.parseList(t, func() error { return p.parseScalarValue(m, fd, name) })
	}
	return p.parseScalarValue(m, fd, name)
}

// readScalar reads one value: adjacent strings, or '-'? number|identifier.
func (p *parser) readScalar() (scalar, token, error) {
	t, err := p.lx.next()
	if err != nil {
		return scalar{}, t, err
	}
	first := t
	var s scalar
	if t.kind == tokString {
		text := t.text
		for {
			n, err := p.lx.peek()
			if err != nil {
				return s, first, err
			}
			if n.kind != tokString {
				break
			}
			p.lx.next()
			text += n.text
		}
		return scalar{quoted: true, kind: tokString, text: text}, first, nil
	}
	if t.isSym("-") {
		s.neg = true
		if t, err = p.lx.next(); err != nil {
			return s, first, err
		}
	}
	switch t.kind {
	case tokInt, tokFloat, tokIdent:
		s.kind, s.text = t.kind, t.text
		return s, first, nil
	}
	return s, first, p.errorAt(t, "expected a value, found %s", t.describe())
}

func (p *parser) parseScalarValue(m protoreflect.Message, fd protoreflect.FieldDescriptor, name token) error {
	s, at, err := p.readScalar()
	if err != nil {
		return err
	}
	if err := p.checkSingular(m, fd, name); err != nil {
		return err
	}
	v, ok, err := convertScalar(fd, s)
	if err != nil {
		return p.errorAt(at, "field %q (%s): %v", name.text, kindName(fd), err)
	}
	if !ok { // enum value our schema lacks
		err := p.warnOrFail(at, name.text, "unknown value %s for enum %s of field %q, ignored",
			s.describe(), fd.Enum().FullName(), name.text)
		if err != nil {
			return err
		}
		p.res.addUnknown(m, &Unknown{Name: name.text, Value: s.String(), Quoted: s.quoted, Line: name.line, Col: name.col})
		return nil
	}
	if fd.IsList() {
		m.Mutable(fd).List().Append(v)
	} else {
		m.Set(fd, v)
	}
	return nil
}

func kindName(fd protoreflect.FieldDescriptor) string {
	if fd.Kind() == protoreflect.EnumKind {
		return "enum " + string(fd.Enum().FullName())
	}
	return fd.Kind().String()
}

// convertScalar converts s to the type of fd. ok is false (with a nil
// error) only for an enum name or number the enum does not define.
func convertScalar(fd protoreflect.FieldDescriptor, s scalar) (v protoreflect.Value, ok bool, err error) {
	if s.quoted != (fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.BytesKind) {
		if s.quoted {
			return v, false, fmt.Errorf("expected an unquoted %s value, found %s", fd.Kind(), s.describe())
		}
		return v, false, fmt.Errorf("expected a quoted string, found %s", s.describe())
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s.text), true, nil
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte(s.text)), true, nil
	case protoreflect.BoolKind:
		b, err := s.boolValue()
		return protoreflect.ValueOfBool(b), err == nil, err
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		i, err := s.signedValue(32)
		return protoreflect.ValueOfInt32(int32(i)), err == nil, err
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		i, err := s.signedValue(64)
		return protoreflect.ValueOfInt64(i), err == nil, err
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		u, err := s.unsignedValue(32)
		return protoreflect.ValueOfUint32(uint32(u)), err == nil, err
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		u, err := s.unsignedValue(64)
		return protoreflect.ValueOfUint64(u), err == nil, err
	case protoreflect.FloatKind:
		f, err := s.float32Value()
		return protoreflect.ValueOfFloat32(f), err == nil, err
	case protoreflect.DoubleKind:
		f, err := s.floatValue()
		return protoreflect.ValueOfFloat64(f), err == nil, err
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		var ev protoreflect.EnumValueDescriptor
		switch {
		case s.kind == tokIdent && !s.neg:
			ev = values.ByName(protoreflect.Name(s.text))
		case s.kind == tokInt:
			n, err := s.signedValue(32)
			if err != nil {
				return v, false, err
			}
			ev = values.ByNumber(protoreflect.EnumNumber(n))
		default:
			return v, false, fmt.Errorf("expected an enum name or number, found %s", s.describe())
		}
		if ev == nil {
			return v, false, nil
		}
		return protoreflect.ValueOfEnum(ev.Number()), true, nil
	}
	return v, false, fmt.Errorf("unsupported field kind %s", fd.Kind())
}

// skipField skips the value(s) of an unknown field whose name was consumed,
// with C++ TextFormat's rules for unknown fields, returning them as trees.
func (p *parser) skipField(name token) ([]*Unknown, error) {
	colon, err := p.lx.trySym(":")
	if err != nil {
		return nil, err
	}
	t, err := p.lx.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case t.isSym("{") || t.isSym("<"):
		u, err := p.skipMessage(name)
		return []*Unknown{u}, err
	case t.isSym("["):
		open, _ := p.lx.next()
		var us []*Unknown
		err := p.parseList(open, func() error {
			e, err := p.lx.peek()
			if err != nil {
				return err
			}
			var u *Unknown
			if e.isSym("{") || e.isSym("<") {
				u, err = p.skipMessage(name)
			} else {
				u, err = p.skipScalar(name)
			}
			us = append(us, u)
			return err
		})
		return us, err
	case !colon:
		return nil, p.errorAt(t, "expected \":\" or \"{\" after field %q, found %s", name.text, t.describe())
	}
	u, err := p.skipScalar(name)
	return []*Unknown{u}, err
}

func (p *parser) skipScalar(name token) (*Unknown, error) {
	s, _, err := p.readScalar()
	if err != nil {
		return nil, err
	}
	return &Unknown{Name: name.text, Value: s.String(), Quoted: s.quoted, Line: name.line, Col: name.col}, nil
}

// skipMessage records an unknown { } or < > block as a tree, its fields
// all being unknown too.
func (p *parser) skipMessage(name token) (*Unknown, error) {
	open, err := p.lx.next()
	if err != nil {
		return nil, err
	}
	if err := p.enter(open); err != nil {
		return nil, err
	}
	u := &Unknown{Name: name.text, Message: true, Line: name.line, Col: name.col}
	closer := closerOf(open)
	for {
		t, err := p.lx.next()
		if err != nil {
			return nil, err
		}
		switch {
		case t.isSym(closer):
			p.depth--
			return u, nil
		case t.kind == tokEOF:
			return nil, p.errorAt(t, "unexpected end of file: %q opened at line %d column %d is not closed",
				open.text, open.line, open.col)
		case t.kind != tokIdent:
			return nil, p.errorAt(t, "expected a field name, found %s", t.describe())
		}
		cs, err := p.skipField(t)
		if err != nil {
			return nil, err
		}
		u.Children = append(u.Children, cs...)
		if err := p.endOfField(); err != nil {
			return nil, err
		}
	}
}
