package caffe

import (
	"fmt"

	"github.com/caffetool/caffetool/proto/caffepb"
)

// UpgradeFile reads a prototxt (binary false) or a caffemodel/binaryproto
// (binary true), applies Caffe's upgrades and returns the bytes to write in
// the same encoding, Caffe's upgrade notes and the text parser's warnings.
// As Caffe's upgrade_net_proto_binary, legacy blob dims are left as they are.
func UpgradeFile(path string, binary bool, opts TextOptions) (out []byte, notes []string, warnings []Warning, err error) {
	np := &caffepb.NetParameter{}
	var res *TextResult
	if binary {
		if err = ReadBinary(path, np); err != nil {
			return nil, nil, nil, err
		}
	} else {
		if res, err = ReadText(path, np, opts); err != nil {
			return nil, nil, nil, err
		}
		warnings = res.Warnings
	}
	// With the parser's record, fork fields of upgraded layers follow them.
	if _, notes, err = upgradeNet(np, res); err != nil {
		return nil, notes, warnings, fmt.Errorf("%s: %w", path, err)
	}
	if binary {
		out, err = MarshalBinary(np)
		return out, notes, warnings, err
	}
	return MarshalText(np, res), notes, warnings, nil
}
