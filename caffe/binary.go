package caffe

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/caffetool/caffetool/proto/caffepb"
)

// ReadBinary reads a binary protobuf file (.caffemodel, .binaryproto) into
// msg. The file is read with a single allocation; there is no size limit
// (C++ Caffe raised protobuf's 64 MB limit for the same reason).
func ReadBinary(filename string, msg proto.Message) error {
	data, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	return DecodeBinary(filename, data, msg)
}

// DecodeBinary decodes wire-format data into msg (reset first). Fields our
// schema lacks (fork extensions) are kept as unknown fields, and missing
// required fields are not an error. Failures are *BinaryError naming
// filename.
func DecodeBinary(filename string, data []byte, msg proto.Message) error {
	if len(data) == 0 {
		// Zero bytes decode as an empty message; for a model file that is
		// a failed download or copy, never an intended net.
		return &BinaryError{File: filename, Kind: binaryKind(msg), Err: errors.New("the file is empty")}
	}
	err := proto.UnmarshalOptions{AllowPartial: true}.Unmarshal(data, msg)
	if err != nil {
		// Say where and what, in stable words (see wireError).
		if where := wireError(data, msg.ProtoReflect().Descriptor()); where != "" {
			err = errors.New(where)
		} else {
			err = errors.New("invalid protobuf wire format")
		}
		if hint := binaryHint(data); hint != "" {
			err = fmt.Errorf("%w (%s)", err, hint)
		}
		return &BinaryError{File: filename, Kind: binaryKind(msg), Err: err}
	}
	return nil
}

// DecodeNet decodes a .caffemodel held in memory. Blob values are copied
// straight from the wire (fastblob.go); anything unusual goes through the
// protobuf decoder, which also words the errors.
func DecodeNet(filename string, data []byte) (*caffepb.NetParameter, error) {
	if len(data) > 0 {
		if net, ok := decodeNetFast(data); ok {
			return net, nil
		}
	}
	net := &caffepb.NetParameter{}
	if err := DecodeBinary(filename, data, net); err != nil {
		return nil, err
	}
	return net, nil
}

func binaryKind(msg proto.Message) string {
	if _, ok := msg.(*caffepb.NetParameter); ok {
		return "caffemodel"
	}
	return "binaryproto"
}

// binaryHint recognises the two usual wrong files given as a binary model:
// a Git LFS pointer and a text prototxt.
func binaryHint(data []byte) string {
	head := data[:min(len(data), 200)]
	if bytes.HasPrefix(head, []byte("version https://git-lfs")) {
		return "this is a Git LFS pointer, not the model: fetch it with git lfs pull"
	}
	text := bytes.TrimLeft(head, " \t\r\n")
	if len(text) == 0 || !(isLetter(text[0]) || text[0] == '#') {
		return ""
	}
	for _, c := range text {
		if c >= 0x7f || (c < ' ' && c != '\n' && c != '\r' && c != '\t') {
			return ""
		}
	}
	return "this looks like a text prototxt, not a binary file"
}
