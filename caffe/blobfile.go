package caffe

import (
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// DecodeBlobFile parses a serialized BlobProto, such as a .binaryproto
// mean file, into a tensor (legacy 4-D dims kept as N×C×H×W).
func DecodeBlobFile(name string, data []byte) (*graph.Tensor, error) {
	b := &caffepb.BlobProto{}
	if err := DecodeBinary(name, data, b); err != nil {
		return nil, err
	}
	shape, _ := BlobShape(b)
	vals, err := BlobData(b)
	if err != nil {
		return nil, &BinaryError{File: name, Kind: "binaryproto", Err: err}
	}
	return &graph.Tensor{Shape: graph.Shape(shape), Data: append([]float32(nil), vals...)}, nil
}
