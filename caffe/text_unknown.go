package caffe

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Unknown is a field that a lenient text parse skipped because our schema
// lacks it (a fork extension such as interp_param, or ceil_mode inside
// pooling_param), kept as a generic tree so that decoders can still read it.
// An enum value the schema does not know (e.g. a V1 `type: BN`) is kept the
// same way, under its field's name, and the field is left unset.
//
// A field given several times, or as a [list], yields one Unknown per value.
type Unknown struct {
	Name string
	// Value is the scalar as written: the literal with its sign for numbers
	// and identifiers, the decoded (and joined) text for quoted strings. It
	// is "" for a message.
	Value    string
	Quoted   bool // Value was written as a quoted string
	Message  bool // written as a { } or < > block
	Children []*Unknown
	Line     int
	Col      int
}

// Field returns the first child called name, or nil. It is nil-safe, so
// lookups can be chained: u.Field("a").Field("b").
func (u *Unknown) Field(name string) *Unknown {
	if u == nil {
		return nil
	}
	for _, c := range u.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Fields returns every child called name, in file order.
func (u *Unknown) Fields(name string) []*Unknown {
	if u == nil {
		return nil
	}
	var out []*Unknown
	for _, c := range u.Children {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// Int parses the value as a text-format integer (decimal, 0x hex, 0 octal).
func (u *Unknown) Int() (int64, error) {
	s, err := u.scalar()
	if err != nil {
		return 0, err
	}
	v, err := s.signedValue(64)
	return v, u.wrap(err)
}

// Float parses the value as a text-format number (inf, nan, 1.5f, 3 ...).
func (u *Unknown) Float() (float64, error) {
	s, err := u.scalar()
	if err != nil {
		return 0, err
	}
	v, err := s.floatValue()
	return v, u.wrap(err)
}

// Bool parses the value as a text-format bool (true/True/t/1, false/False/f/0).
func (u *Unknown) Bool() (bool, error) {
	s, err := u.scalar()
	if err != nil {
		return false, err
	}
	v, err := s.boolValue()
	return v, u.wrap(err)
}

// scalar re-tokenizes Value so the typed accessors follow exactly the rules
// the parser applies to known fields.
func (u *Unknown) scalar() (scalar, error) {
	if u == nil {
		return scalar{}, fmt.Errorf("field is absent")
	}
	if u.Message {
		return scalar{}, u.wrap(fmt.Errorf("is a message, not a value"))
	}
	lx := newLexer("", []byte(u.Value))
	var s scalar
	t, err := lx.next()
	if err == nil && t.isSym("-") {
		s.neg = true
		t, err = lx.next()
	}
	end, err2 := lx.next()
	if err != nil || err2 != nil || end.kind != tokEOF ||
		(t.kind != tokInt && t.kind != tokFloat && t.kind != tokIdent) {
		return s, u.wrap(fmt.Errorf("%s is not a number or identifier", strconv.Quote(u.Value)))
	}
	s.kind, s.text = t.kind, t.text
	return s, nil
}

func (u *Unknown) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s (line %d, column %d): %w", u.Name, u.Line, u.Col, err)
}

// UnknownKey identifies the message instance unknown fields were found in.
// It holds the protoreflect.Message that m.ProtoReflect() returns, which for
// generated and dynamic messages is a pointer, so it names exactly one
// instance: copies (proto.Clone, a V1→V2 upgrade) have other keys, and code
// that rebuilds messages must carry the fields over (TextResult.MoveUnknown).
type UnknownKey struct{ m protoreflect.Message }

// KeyOf returns the key of the message instance m.
func KeyOf(m proto.Message) UnknownKey {
	if m == nil {
		return UnknownKey{}
	}
	return UnknownKey{m.ProtoReflect()}
}

// TextResult is what a successful lenient parse reports besides the message.
type TextResult struct {
	Warnings []Warning
	// Unknown holds the skipped fields of each message instance, keyed by
	// the message they sat in: for `layer { interp_param { ... } }` the key
	// is the LayerParameter, for `pooling_param { ceil_mode: true }` it is
	// the PoolingParameter.
	Unknown map[UnknownKey][]*Unknown
}

// UnknownFields returns the fields skipped inside message instance m (for
// example a *caffepb.LayerParameter, or its GetPoolingParam()), in file order.
func (r *TextResult) UnknownFields(m proto.Message) []*Unknown {
	if r == nil || m == nil {
		return nil
	}
	return r.Unknown[KeyOf(m)]
}

// UnknownField returns the first skipped field called name inside m, or nil.
func (r *TextResult) UnknownField(m proto.Message, name string) *Unknown {
	for _, u := range r.UnknownFields(m) {
		if u.Name == name {
			return u
		}
	}
	return nil
}

// MoveUnknown re-keys the unknown fields of from to to, appending to any
// that to already has. Upgrades that replace a message use it so decoders
// still find the fork fields on the new message.
func (r *TextResult) MoveUnknown(from, to proto.Message) {
	if r == nil || from == nil || to == nil {
		return
	}
	kf, kt := KeyOf(from), KeyOf(to)
	if kf == kt {
		return
	}
	if us := r.Unknown[kf]; len(us) > 0 {
		if r.Unknown == nil {
			r.Unknown = map[UnknownKey][]*Unknown{}
		}
		r.Unknown[kt] = append(r.Unknown[kt], us...)
		delete(r.Unknown, kf)
	}
}

func (r *TextResult) addUnknown(m protoreflect.Message, us ...*Unknown) {
	if r.Unknown == nil {
		r.Unknown = map[UnknownKey][]*Unknown{}
	}
	k := UnknownKey{m.Interface().ProtoReflect()}
	r.Unknown[k] = append(r.Unknown[k], us...)
}
