package caffe

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// wireError locates the first malformation in protobuf wire data whose
// top-level message is md, descending into the fields md declares as
// messages: "at byte 875 in layer[1].blobs[0]: field data (5) claims
// 1152 bytes, only 300 remain". The protobuf library's own messages are
// not used: they say less, and vary between builds on purpose. It returns
// "" when it finds nothing wrong.
func wireError(data []byte, md protoreflect.MessageDescriptor) string {
	off, path, msg := scanWire(data, md, 0, "", 0)
	if msg == "" {
		return ""
	}
	if path != "" {
		return fmt.Sprintf("at byte %d in %s: %s", off, path, msg)
	}
	return fmt.Sprintf("at byte %d: %s", off, msg)
}

// maxWireDepth bounds the descent; caffe.proto nests far less.
const maxWireDepth = 100

func scanWire(b []byte, md protoreflect.MessageDescriptor, base int, path string, depth int) (int, string, string) {
	if depth > maxWireDepth {
		return base, path, "messages nested too deeply"
	}
	seen := map[protowire.Number]int{}
	for pos := 0; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 {
			return base + pos, path, "bad field tag: " + wireCode(n)
		}
		if num > protowire.MaxValidNumber { // ConsumeTag lets these through
			return base + pos, path, fmt.Sprintf("bad field tag: field number %d is over the maximum", num)
		}
		var fd protoreflect.FieldDescriptor
		if md != nil {
			fd = md.Fields().ByNumber(num)
		}
		name := fmt.Sprintf("%d", num)
		if fd != nil {
			name = fmt.Sprintf("%s (%d)", fd.Name(), num)
		}
		if typ == protowire.EndGroupType {
			return base + pos, path, fmt.Sprintf("end-group marker of field %s without a start", name)
		}
		valStart := pos + n
		m := protowire.ConsumeFieldValue(num, typ, b[valStart:])
		if m < 0 {
			if typ == protowire.BytesType {
				if l, k := protowire.ConsumeVarint(b[valStart:]); k > 0 {
					return base + pos, path, fmt.Sprintf("field %s claims %d bytes, only %d remain", name, l, len(b)-valStart-k)
				}
			}
			return base + pos, path, fmt.Sprintf("field %s, wire type %d: %s", name, typ, wireCode(m))
		}
		if fd != nil && typ == protowire.BytesType && fd.IsList() {
			if msg := packedProblem(b[valStart:], fd.Kind()); msg != "" {
				return base + pos, path, fmt.Sprintf("field %s: %s", name, msg)
			}
		}
		if fd != nil && typ == protowire.BytesType && fd.Kind() == protoreflect.MessageKind {
			l, k := protowire.ConsumeVarint(b[valStart:])
			inner := b[valStart+k : valStart+k+int(l)]
			sub := string(fd.Name())
			if fd.IsList() {
				sub = fmt.Sprintf("%s[%d]", sub, seen[num])
			}
			if path != "" {
				sub = path + "." + sub
			}
			if o, p, msg := scanWire(inner, fd.Message(), base+valStart+k, sub, depth+1); msg != "" {
				return o, p, msg
			}
		}
		seen[num]++
		pos = valStart + m
	}
	return 0, "", ""
}

// packedProblem checks a packed repeated scalar field (b starts at its
// length): whole fixed-size values, or varints that end inside it.
func packedProblem(b []byte, kind protoreflect.Kind) string {
	l, k := protowire.ConsumeVarint(b)
	v := b[k : k+int(l)]
	size := 0
	switch kind {
	case protoreflect.FloatKind, protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		size = 4
	case protoreflect.DoubleKind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		size = 8
	case protoreflect.MessageKind, protoreflect.GroupKind, protoreflect.StringKind, protoreflect.BytesKind:
		return ""
	default: // varint kinds
		for len(v) > 0 {
			_, n := protowire.ConsumeVarint(v)
			if n < 0 {
				return "packed values: " + wireCode(n)
			}
			v = v[n:]
		}
		return ""
	}
	if len(v)%size != 0 {
		return fmt.Sprintf("%d bytes of packed values are not a whole number of %d-byte values", len(v), size)
	}
	return ""
}

// wireCode words a negative protowire length (protowire's error codes).
func wireCode(n int) string {
	switch n {
	case -1:
		return "the data ends inside it"
	case -2:
		return "invalid field number"
	case -3:
		return "a varint longer than 10 bytes"
	case -4:
		return "reserved wire type"
	case -5:
		return "unmatched end-group marker"
	case -6:
		return "groups nested too deeply"
	}
	return "malformed"
}
