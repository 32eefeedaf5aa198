//go:build ignore

// gen writes the binary files of the hostile suite (caffemodels, mean
// files, .npy arrays, images), each broken in one deliberate way. The
// protobuf files are encoded by hand with protowire, so that they can be
// malformed in ways a marshaller would never produce. Run from this
// directory:
//
//	go run gen.go [-out dir]
//
// The output is deterministic; the files are committed, and
// internal/cli's TestHostileFilesFresh checks they match this program.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from proto/caffe.proto.
const (
	netName      = 1
	netLayer     = 100
	netLayers    = 2 // V1
	layerName    = 1
	layerType    = 2
	layerBlobs   = 7
	blobData     = 5
	blobDouble   = 8
	blobShape    = 7
	blobRawType  = 10
	blobRaw      = 12
	shapeDim     = 1
	typeFloat16  = 2
	v1LayerName  = 4
	v1LayerType  = 5
	v1LayerBlobs = 6
)

func tagBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func tagString(b []byte, num protowire.Number, s string) []byte {
	return tagBytes(b, num, []byte(s))
}

// shape encodes a BlobShape with packed int64 dims (negative ones as
// their two's-complement varints, as protobuf does).
func shape(dims ...int64) []byte {
	var packed []byte
	for _, d := range dims {
		packed = protowire.AppendVarint(packed, uint64(d))
	}
	return tagBytes(nil, shapeDim, packed)
}

func floats(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(i%5)*0.1-0.2))
	}
	return b
}

// blob is a current-format BlobProto with n float values.
func blob(n int, dims ...int64) []byte {
	b := tagBytes(nil, blobShape, shape(dims...))
	return tagBytes(b, blobData, floats(n))
}

func layer(name string, blobs ...[]byte) []byte {
	b := tagString(nil, layerName, name)
	for _, bl := range blobs {
		b = tagBytes(b, layerBlobs, bl)
	}
	return b
}

func net(layers ...[]byte) []byte {
	b := tagString(nil, netName, "bad")
	for _, l := range layers {
		b = tagBytes(b, netLayer, l)
	}
	return b
}

// goodModel fits weights_net.prototxt: conv (2 filters, 3 channels, 3x3)
// and fc (4 outputs from 2x6x6).
func goodModel() []byte {
	return net(
		layer("conv", blob(54, 2, 3, 3, 3), blob(2, 2)),
		layer("fc", blob(288, 4, 72), blob(4, 4)),
	)
}

// npyFile builds an .npy file (format 1.0) with the given header dict and data.
func npyFile(dict string, data []byte) []byte {
	h := dict
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	b = append(b, h...)
	return append(b, data...)
}

func pngFile(w, h int) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.NRGBA{uint8(x * 20), uint8(y * 20), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeaderOnly is a PNG signature and an IHDR chunk declaring w×h RGB
// pixels, and nothing else.
func pngHeaderOnly(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB, deflate, no filter, no interlace
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32IEEE(chunk))
}

func crc32IEEE(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b {
		crc ^= uint32(c)
		for k := 0; k < 8; k++ {
			if crc&1 == 1 {
				crc = crc>>1 ^ 0xedb88320
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

func main() {
	out := flag.String("out", ".", "folder to write the files to")
	flag.Parse()
	good := goodModel()
	files := map[string][]byte{
		// Support files that are valid: the weights for weights_net, a
		// caffemodel for nets without parameters, a fitting input.
		"good.caffemodel":     good,
		"noparams.caffemodel": tagString(nil, netName, "noparams"),
		"good.npy":            npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", floats(192)),
		"data.npy":            npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", floats(192)),

		// Caffemodels.
		"empty.caffemodel":     {},
		"truncated.caffemodel": good[:len(good)*3/5],
		// The length varint of the first layer gains a high bit: the
		// layer now claims more bytes than the file holds.
		"bitflip.caffemodel": func() []byte {
			b := append([]byte(nil), good...)
			_, _, n := protowire.ConsumeField(b) // the net's name
			_, _, t := protowire.ConsumeTag(b[n:])
			v, l := protowire.ConsumeVarint(b[n+t:])
			if v >= 1<<13 {
				log.Fatal("first layer too long for the bit flip")
			}
			b[n+t+l-1] |= 0x40 // adds 2^13 (two-byte varint) or 64 bytes
			return b
		}(),
		// A field with wire type 7, which does not exist.
		"bad_wiretype.caffemodel": append(protowire.AppendVarint(nil, uint64(netLayer)<<3|7), 1, 2, 3),
		// The conv weights' float data sent as a fixed64 field: protobuf
		// keeps it as an unknown field, so the blob has no values.
		"wrong_wiretype.caffemodel": net(
			layer("conv", append(tagBytes(nil, blobShape, shape(2, 3, 3, 3)),
				protowire.AppendFixed64(protowire.AppendTag(nil, blobData, protowire.Fixed64Type), 1)...), blob(2, 2)),
			layer("fc", blob(288, 4, 72), blob(4, 4)),
		),
		// Packed float data of 5 bytes.
		"packed_odd.caffemodel": net(layer("conv", append(tagBytes(nil, blobShape, shape(2, 3, 3, 3)),
			tagBytes(nil, blobData, []byte{1, 2, 3, 4, 5})...), blob(2, 2))),
		// A length-delimited field claiming 2^62 bytes.
		"length_overflow.caffemodel": protowire.AppendVarint(protowire.AppendTag(nil, netLayer, protowire.BytesType), 1<<62),
		// 20000 nested unknown groups (protobuf's limit is 10000).
		"deep_groups.caffemodel": func() []byte {
			var b []byte
			for i := 0; i < 20000; i++ {
				b = protowire.AppendTag(b, 999, protowire.StartGroupType)
			}
			for i := 0; i < 20000; i++ {
				b = protowire.AppendTag(b, 999, protowire.EndGroupType)
			}
			return b
		}(),
		// Right shape, too few values.
		"count_mismatch.caffemodel": net(layer("conv", blob(10, 2, 3, 3, 3), blob(2, 2)), layer("fc", blob(288, 4, 72), blob(4, 4))),
		// Right count, wrong shape.
		"shape_mismatch.caffemodel": net(layer("conv", blob(54, 2, 3, 9, 3), blob(2, 2)), layer("fc", blob(288, 4, 72), blob(4, 4))),
		// conv without its bias blob.
		"blob_count.caffemodel": net(layer("conv", blob(54, 2, 3, 3, 3)), layer("fc", blob(288, 4, 72), blob(4, 4))),
		// A negative dimension.
		"negative_dim.caffemodel": net(layer("conv", blob(54, -2, 3, 3, 3), blob(2, 2)), layer("fc", blob(288, 4, 72), blob(4, 4))),
		// A blob claiming 10^12 elements with 4 values, for a layer whose
		// shape cannot be checked against the net (unknown_input.prototxt).
		"huge_count.caffemodel": net(layer("conv", blob(4, 1000000, 1000000), blob(2, 2))),
		// Half-precision raw data of an odd byte length.
		"fp16_odd.caffemodel": net(layer("conv", append(append(tagBytes(nil, blobShape, shape(2, 3, 3, 3)),
			protowire.AppendVarint(protowire.AppendTag(nil, blobRawType, protowire.VarintType), typeFloat16)...),
			tagBytes(nil, blobRaw, []byte{1, 2, 3})...), blob(2, 2)), layer("fc", blob(288, 4, 72), blob(4, 4))),
		// Double data whose count disagrees with the shape.
		"double_mismatch.caffemodel": net(layer("conv", append(tagBytes(nil, blobShape, shape(2, 3, 3, 3)),
			tagBytes(nil, blobDouble, make([]byte, 8*7))...), blob(2, 2)), layer("fc", blob(288, 4, 72), blob(4, 4))),
		"lfs_pointer.caffemodel": []byte("version https://git-lfs.github.com/spec/v1\noid sha256:4c5e8e5f2bd2b4e1f2f4f0b0e0c1f5d2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6\nsize 244008168\n"),
		"text.caffemodel":        []byte("name: \"oops\"\nlayer { name: \"conv\" type: \"Convolution\" }\n"),

		// Mean files.
		"huge_count.binaryproto": blob(4, 1000000, 1000000),
		"truncated.binaryproto":  blob(192, 3, 8, 8)[:300],

		// .npy arrays.
		"empty.npy":            {},
		"bad_magic.npy":        append([]byte("\x93NUMPX\x01\x00"), npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(1))[8:]...),
		"truncated_header.npy": npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", nil)[:40],
		"huge_shape.npy":       npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", floats(4)),
		"overflow_shape.npy":   npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807), }", floats(4)),
		"negative_dim.npy":     npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1, -3, 8, 8), }", floats(192)),
		"complex.npy":          npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", make([]byte, 8*192)),
		"header_garbage.npy":   npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8", floats(192)),
		"deep_header.npy":      npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': "+strings.Repeat("(", 5000)+strings.Repeat(")", 5000)+"}", nil),
		"truncated_data.npy":   npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", floats(100)),
		"wrong_rank.npy":       npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", floats(7)),

		// Images.
		"empty.png":       {},
		"truncated.png":   pngFile(16, 16)[:60],
		"huge_dims.png":   pngHeaderOnly(100000, 100000),
		"header_only.png": pngHeaderOnly(12000, 12000),
		"garbage.jpg":     bytes.Repeat([]byte{0xff, 0xd8, 0x13, 0x37}, 64),

		// 100000 nested braces of an unknown field.
		"deep_nesting.prototxt": []byte("# 100000 nested messages\n" + strings.Repeat("a{", 100000) + strings.Repeat("}", 100000) + "\n"),
		// Random bytes named like a prototxt.
		"garbage.prototxt": func() []byte {
			b := make([]byte, 512)
			x := uint32(2463534242)
			for i := range b {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				b[i] = byte(x)
			}
			return b
		}(),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("wrote %d files\n", len(files))
}
