package caffe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protopack"

	"github.com/caffetool/caffetool/proto/caffepb"
)

// testNet builds a small net with one conv layer (new-style blobs) and one
// V1 InnerProduct layer (legacy 4-D blobs).
func testNet(weights int) *caffepb.NetParameter {
	w := make([]float32, weights)
	for i := range w {
		w[i] = float32(i) * 0.5
	}
	return &caffepb.NetParameter{
		Name: proto.String("t"),
		Layer: []*caffepb.LayerParameter{{
			Name: proto.String("conv"), Type: proto.String("Convolution"),
			Blobs: []*caffepb.BlobProto{EncodeBlob([]int{weights}, w), EncodeBlob([]int{1}, []float32{7})},
		}},
		Layers: []*caffepb.V1LayerParameter{{
			Name: proto.String("ip"), Type: caffepb.V1LayerParameter_INNER_PRODUCT.Enum(),
			Blobs: []*caffepb.BlobProto{{Num: proto.Int32(1), Channels: proto.Int32(1), Height: proto.Int32(2), Width: proto.Int32(2), Data: []float32{1, 2, 3, 4}}},
		}},
	}
}

func TestDecodeNetRoundTrip(t *testing.T) {
	want := testNet(100)
	wire, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeNet("t.caffemodel", wire)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Errorf("round trip differs:\n%v\n%v", got, want)
	}

	path := filepath.Join(t.TempDir(), "t.caffemodel")
	if err := os.WriteFile(path, wire, 0o644); err != nil {
		t.Fatal(err)
	}
	read := &caffepb.NetParameter{Name: proto.String("stale")}
	if err := ReadBinary(path, read); err != nil || !proto.Equal(read, want) {
		t.Errorf("ReadBinary: %v", err)
	}
}

// Fields of forks survive decoding as unknown fields, and a missing
// required field (ClipParameter is optional in our schema, so use a
// hand-made unknown one) does not fail.
func TestDecodeNetKeepsForkFields(t *testing.T) {
	wire := protopack.Message{
		protopack.Tag{Number: 1, Type: protopack.BytesType}, protopack.String("fork"),
		protopack.Tag{Number: 100, Type: protopack.BytesType}, protopack.LengthPrefix{protopack.Message{
			protopack.Tag{Number: 1, Type: protopack.BytesType}, protopack.String("pool"),
			protopack.Tag{Number: 121, Type: protopack.BytesType}, protopack.LengthPrefix{protopack.Message{
				protopack.Tag{Number: 14, Type: protopack.VarintType}, protopack.Bool(true), // fork ceil_mode
			}},
		}},
	}.Marshal()
	net, err := DecodeNet("fork.caffemodel", wire)
	if err != nil {
		t.Fatal(err)
	}
	unknown := net.Layer[0].GetPoolingParam().ProtoReflect().GetUnknown()
	if net.GetName() != "fork" || len(unknown) != 2 {
		t.Errorf("decoded %v, unknown bytes %x", net, unknown)
	}
}

func TestDecodeBinaryErrors(t *testing.T) {
	wire, err := proto.Marshal(testNet(1000))
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation either fails with a located BinaryError or, at a
	// field boundary, decodes into a different (shorter) net. A cut inside
	// the weights must fail.
	want := testNet(1000)
	for cut := 1; cut < len(wire); cut++ {
		got, err := DecodeNet("cut.caffemodel", wire[:cut])
		var be *BinaryError
		switch {
		case err == nil && proto.Equal(got, want):
			t.Fatalf("cut at %d decodes to the whole net", cut)
		case err != nil && !errors.As(err, &be):
			t.Fatalf("cut at %d: %v is not a *BinaryError", cut, err)
		case err != nil && !strings.HasPrefix(err.Error(), "cut.caffemodel: truncated or corrupt caffemodel: "):
			t.Fatalf("cut at %d: error text %q", cut, err)
		}
	}
	if _, err := DecodeNet("cut.caffemodel", wire[:len(wire)/2]); err == nil {
		t.Error("a net cut in the middle of its weights decodes")
	}

	for _, c := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "e.caffemodel: truncated or corrupt caffemodel: the file is empty"},
		{"text", []byte("name: \"LeNet\"\nlayer {\n  name: \"data\"\n}\n"), "looks like a text prototxt"},
		{"lfs", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 12\n"), "Git LFS pointer"},
		{"garbage", []byte{0xff, 0xff, 0xff}, "e.caffemodel: truncated or corrupt caffemodel: "},
	} {
		_, err := DecodeNet("e.caffemodel", c.data)
		if err == nil || !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want %q", c.name, err, c.msg)
		}
	}
	err = DecodeBinary("m.binaryproto", []byte{0x2a, 0x10, 0, 0}, &caffepb.BlobProto{})
	if err == nil || !strings.HasPrefix(err.Error(), "m.binaryproto: truncated or corrupt binaryproto: ") {
		t.Errorf("truncated BlobProto: %v", err)
	}
	if err := ReadBinary(filepath.Join(t.TempDir(), "missing.caffemodel"), &caffepb.NetParameter{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestReadBinarySharedFiles decodes every caffemodel and binaryproto of the
// zoo and conformance data and converts every blob they hold.
func TestReadBinarySharedFiles(t *testing.T) {
	models := sharedFiles(t, ".caffemodel")
	for _, f := range models {
		net := &caffepb.NetParameter{}
		if err := ReadBinary(f, net); err != nil {
			t.Errorf("%v", err)
			continue
		}
		var blobs []*caffepb.BlobProto
		for _, l := range net.Layer {
			blobs = append(blobs, l.Blobs...)
		}
		for _, l := range net.Layers {
			blobs = append(blobs, l.Blobs...)
		}
		if len(blobs) == 0 {
			t.Errorf("%s: no parameter blobs", f)
		}
		for i, b := range blobs {
			if _, err := BlobData(b); err != nil {
				t.Errorf("%s: blob %d: %v", f, i, err)
			}
		}
	}

	root := readerSharedDir(t)
	mean := &caffepb.BlobProto{}
	if err := ReadBinary(filepath.Join(root, "zoo", "imagenet_mean", "imagenet_mean.binaryproto"), mean); err != nil {
		t.Fatal(err)
	}
	if shape, _ := BlobShape(mean); !equalInts(shape, []int{1, 3, 256, 256}) {
		t.Errorf("imagenet mean shape %v", shape)
	}
	if data, err := BlobData(mean); err != nil || len(data) != 3*256*256 {
		t.Errorf("imagenet mean: %d values, %v", len(data), err)
	}
	bad := filepath.Join(root, "zoo", "negative", "truncated_imagenet_mean.binaryproto")
	if err := ReadBinary(bad, &caffepb.BlobProto{}); err == nil ||
		!strings.HasPrefix(err.Error(), bad+": truncated or corrupt binaryproto: ") {
		t.Errorf("negative/ file: %v", err)
	}

	// A truncated copy of a real model.
	src := filepath.Join(root, "zoo", "mnist_lenet", "lenet_iter_10000.caffemodel")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "lenet_cut.caffemodel")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ReadBinary(cut, &caffepb.NetParameter{}); err == nil ||
		!strings.HasPrefix(err.Error(), cut+": truncated or corrupt caffemodel: ") {
		t.Errorf("truncated lenet: %v", err)
	}
}

// BenchmarkDecodeNet decodes a synthetic 64 MB model (16M float weights).
func BenchmarkDecodeNet(b *testing.B) {
	wire, err := proto.Marshal(testNet(16 << 20))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeNet("bench.caffemodel", wire); err != nil {
			b.Fatal(err)
		}
	}
}
