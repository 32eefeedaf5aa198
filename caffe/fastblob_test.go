package caffe

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/caffetool/caffetool/proto/caffepb"
)

// slowNet decodes with the protobuf library alone.
func slowNet(t *testing.T, wire []byte) *caffepb.NetParameter {
	t.Helper()
	net := &caffepb.NetParameter{}
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(wire, net); err != nil {
		t.Fatal(err)
	}
	return net
}

// fastEqualsSlow checks that the fast path takes wire (wantFast) and then
// gives exactly the library's message, unknown fields included.
func fastEqualsSlow(t *testing.T, what string, wire []byte, wantFast bool) {
	t.Helper()
	fast, ok := decodeNetFast(wire)
	if ok != wantFast {
		t.Fatalf("%s: fast path taken = %v, want %v", what, ok, wantFast)
	}
	if !ok {
		return
	}
	if slow := slowNet(t, wire); !proto.Equal(fast, slow) {
		t.Fatalf("%s: fast decode differs from the library's", what)
	}
}

// blobWire encodes a BlobProto by hand, so the test controls how the
// floats are laid out on the wire.
func blobWire(fields ...[]byte) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func packed(num protowire.Number, vals ...float32) []byte {
	var p []byte
	for _, v := range vals {
		p = protowire.AppendFixed32(p, math.Float32bits(v))
	}
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, p)
}

func message(num protowire.Number, body []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

func TestFastBlobDecode(t *testing.T) {
	// A net as proto.Marshal writes it: new-style and V1 layers.
	wire, err := proto.Marshal(testNet(1000))
	if err != nil {
		t.Fatal(err)
	}
	fastEqualsSlow(t, "marshalled net", wire, true)

	shape := message(7, protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 6))
	unknown := protowire.AppendVarint(protowire.AppendTag(nil, 999, protowire.VarintType), 42)
	// One blob whose data comes in two packed pieces (protobuf appends
	// them), with a diff, an unknown field between, and NaN payload bits.
	nan := math.Float32frombits(0x7fc00123)
	blob := blobWire(shape, packed(5, 1, 2, nan), unknown, packed(6, 9, 8, 7, 6, 5, 4), packed(5, 3, float32(math.Copysign(0, -1)), float32(math.Inf(1))))
	layer := blobWire(message(1, []byte("conv")), message(7, blob), unknown, message(7, blobWire(packed(5))))
	v1 := blobWire(message(4, []byte("ip")), message(6, blobWire(packed(5, 5, 6))))
	net := blobWire(message(1, []byte("n")), message(100, layer), message(2, v1), unknown, message(100, message(1, []byte("relu"))))
	fastEqualsSlow(t, "hand-made net", net, true)
	got, _ := decodeNetFast(net)
	if d := got.Layer[0].Blobs[0].Data; len(d) != 6 || math.Float32bits(d[2]) != 0x7fc00123 || math.Float32bits(d[4]) != 0x80000000 {
		t.Errorf("values not copied bit for bit: %v", d)
	}

	// Unpacked floats (legal, but no writer emits them) go to the library.
	unpacked := protowire.AppendFixed32(protowire.AppendTag(nil, 5, protowire.Fixed32Type), math.Float32bits(1))
	fastEqualsSlow(t, "unpacked floats", message(100, message(7, unpacked)), false)
	// So does anything malformed: a truncated net, a payload that is not
	// a whole number of floats.
	fastEqualsSlow(t, "truncated", net[:len(net)-3], false)
	odd := message(100, message(7, message(5, []byte{1, 2, 3})))
	fastEqualsSlow(t, "odd payload", odd, false)
	if _, err := DecodeNet("odd.caffemodel", odd); err == nil {
		t.Error("a payload of 3 bytes decoded without error")
	}
}

// Every caffemodel of the shared zoo decodes to the library's message.
func TestFastBlobZoo(t *testing.T) {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("CAFFETOOL_SHARED not set; zoo caffemodels skipped")
	}
	files, _ := filepath.Glob(filepath.Join(root, "zoo", "*", "*.caffemodel"))
	if len(files) == 0 {
		t.Fatal("no caffemodels in the zoo")
	}
	for _, f := range files {
		wire, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fastEqualsSlow(t, f, wire, true)
	}
}

// BenchmarkDecodeNetPaths decodes a 64 MB model (16M weights) through the
// fast path and through the protobuf library alone, for comparison.
func BenchmarkDecodeNetPaths(b *testing.B) {
	wire, err := proto.Marshal(testNet(16 << 20))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if _, ok := decodeNetFast(wire); !ok {
				b.Fatal("fast path refused the model")
			}
		}
	})
	b.Run("library", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			net := &caffepb.NetParameter{}
			if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(wire, net); err != nil {
				b.Fatal(err)
			}
		}
	})
}
