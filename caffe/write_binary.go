package caffe

import (
	"io"

	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// MarshalBinary serializes net as a .caffemodel (binary NetParameter),
// deterministically so equal nets give equal bytes.
func MarshalBinary(net *caffepb.NetParameter) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(net)
}

// WriteBinary writes net as a .caffemodel.
func WriteBinary(w io.Writer, net *caffepb.NetParameter) error {
	b, err := MarshalBinary(net)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
