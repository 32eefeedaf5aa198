package caffe

import (
	"fmt"
	"strings"
)

// TextError is a located error in a text (.prototxt) file. Line and Col are
// 1-based; Col counts bytes from the start of the line.
type TextError struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *TextError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, oneLine(e.Msg))
}

// Warning is something a lenient parse skipped, such as a field of a Caffe
// fork that our schema does not have. Path locates it in the message tree,
// e.g. "layer[3](pool1).pooling_param.ceil_mode" (repeated elements carry
// their index and, when set, their name).
type Warning struct {
	File string
	Line int
	Col  int
	Path string
	Msg  string
}

func (w Warning) String() string {
	if w.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", w.File, w.Line, w.Col, oneLine(w.Msg))
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", w.File, w.Line, w.Col, w.Path, oneLine(w.Msg))
}

// BinaryError reports a binary protobuf file (.caffemodel, .binaryproto)
// that does not decode. Err is the decoder's reason.
type BinaryError struct {
	File string
	Kind string // "caffemodel" or "binaryproto"
	Err  error
}

func (e *BinaryError) Error() string {
	return fmt.Sprintf("%s: truncated or corrupt %s: %s", e.File, e.Kind, oneLine(e.Err.Error()))
}

func (e *BinaryError) Unwrap() error { return e.Err }

// oneLine keeps messages on one line: error text ends up in logs and in
// "file:line:col: msg" output that tools split by line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
