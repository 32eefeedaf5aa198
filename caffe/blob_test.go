package caffe

import (
	"encoding/binary"
	"math"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

func TestBlobShape(t *testing.T) {
	cases := []struct {
		name   string
		b      *caffepb.BlobProto
		want   []int
		legacy bool
	}{
		{"shape", &caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: []int64{64, 3, 7, 7}}}, []int{64, 3, 7, 7}, false},
		{"legacy", &caffepb.BlobProto{Num: proto.Int32(1), Channels: proto.Int32(1), Height: proto.Int32(10), Width: proto.Int32(20)}, []int{1, 1, 10, 20}, true},
		{"legacy partial", &caffepb.BlobProto{Width: proto.Int32(5)}, []int{0, 0, 0, 5}, true},
		// Caffe ignores `shape` as soon as one legacy field is present.
		{"both", &caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: []int64{5}}, Num: proto.Int32(2)}, []int{2, 0, 0, 0}, true},
		{"scalar", &caffepb.BlobProto{Shape: &caffepb.BlobShape{}}, []int{}, false},
		{"nothing", &caffepb.BlobProto{}, []int{}, false},
	}
	for _, c := range cases {
		got, legacy := BlobShape(c.b)
		if !equalInts(got, c.want) || legacy != c.legacy {
			t.Errorf("%s: BlobShape = %v, %v; want %v, %v", c.name, got, legacy, c.want, c.legacy)
		}
	}
}

func f16bytes(hs ...uint16) []byte {
	b := make([]byte, 2*len(hs))
	for i, h := range hs {
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	return b
}

func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestBlobDataSources(t *testing.T) {
	shape2x3 := &caffepb.BlobShape{Dim: []int64{2, 3}}

	data := []float32{1, 2, 3, 4, 5, 6}
	got, err := BlobData(&caffepb.BlobProto{Shape: shape2x3, Data: data})
	if err != nil || &got[0] != &data[0] {
		t.Errorf("float data: %v, %v (want the same slice back)", got, err)
	}

	// double_data converts with float32 rounding; it wins over data, as in Caffe.
	doubles := []float64{0.1, -1e-50, 1e300, 3.5, math.Inf(-1), 16777217}
	got, err = BlobData(&caffepb.BlobProto{Shape: shape2x3, DoubleData: doubles, Data: []float32{9}})
	if err != nil {
		t.Fatal(err)
	}
	wantD := []float32{0.1, float32(math.Copysign(0, -1)), float32(math.Inf(1)), 3.5, float32(math.Inf(-1)), 16777216}
	for i := range wantD {
		if !sameFloat32(got[i], wantD[i]) {
			t.Errorf("double_data[%d] = %v, want %v", i, got[i], wantD[i])
		}
	}

	// Half precision, little-endian, every class of value.
	halves := []struct {
		h    uint16
		want float32
	}{
		{0x3C00, 1}, {0xC000, -2}, {0x7BFF, 65504}, {0x3555, 0.333251953125},
		{0x0400, 1.0 / 16384}, {0x03FF, 1023.0 / (1 << 24)}, {0x0001, 1.0 / (1 << 24)},
		{0x0000, 0}, {0x8000, float32(math.Copysign(0, -1))},
		{0x7C00, float32(math.Inf(1))}, {0xFC00, float32(math.Inf(-1))},
	}
	hs := make([]uint16, 0, len(halves)+1)
	for _, c := range halves {
		hs = append(hs, c.h)
	}
	hs = append(hs, 0x7E01) // a NaN with payload
	n := int64(len(hs))
	got, err = BlobData(&caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: []int64{n}},
		RawDataType: caffepb.Type_FLOAT16.Enum(), RawData: f16bytes(hs...)})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range halves {
		if !sameFloat32(got[i], c.want) {
			t.Errorf("half %#04x = %v, want %v", c.h, got[i], c.want)
		}
	}
	if nan := got[len(halves)]; !math.IsNaN(float64(nan)) || math.Float32bits(nan) != 0x7FC02000 {
		t.Errorf("half NaN 0x7E01 = %#08x", math.Float32bits(nan))
	}

	raw32 := make([]byte, 8)
	binary.LittleEndian.PutUint32(raw32, math.Float32bits(-1.25))
	binary.LittleEndian.PutUint32(raw32[4:], math.Float32bits(3e-40))
	got, err = BlobData(&caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: []int64{2}}, RawDataType: caffepb.Type_FLOAT.Enum(), RawData: raw32})
	if err != nil || got[0] != -1.25 || got[1] != float32(3e-40) {
		t.Errorf("raw FLOAT = %v, %v", got, err)
	}
	raw64 := binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.1))
	got, err = BlobData(&caffepb.BlobProto{Shape: &caffepb.BlobShape{}, RawDataType: caffepb.Type_DOUBLE.Enum(), RawData: raw64})
	if err != nil || got[0] != float32(0.1) {
		t.Errorf("raw DOUBLE scalar = %v, %v", got, err)
	}

	// Legacy 4-D shape.
	got, err = BlobData(&caffepb.BlobProto{Num: proto.Int32(1), Channels: proto.Int32(1), Height: proto.Int32(2), Width: proto.Int32(2), Data: []float32{1, 2, 3, 4}})
	if err != nil || len(got) != 4 {
		t.Errorf("legacy blob: %v, %v", got, err)
	}
	// An empty blob of a zero-sized shape is fine.
	if got, err := BlobData(&caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: []int64{0, 5}}}); err != nil || len(got) != 0 {
		t.Errorf("empty blob: %v, %v", got, err)
	}
}

// halfReference evaluates a binary16 value from its definition.
func halfReference(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, mant := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant/1024, -14)
	case 0x1f:
		if mant != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * math.Ldexp(1+mant/1024, exp-15)
}

func TestHalfToFloat32Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got, want := halfToFloat32(h), halfReference(h)
		switch {
		case math.IsNaN(want):
			if !math.IsNaN(float64(got)) {
				t.Fatalf("%#04x: got %v, want NaN", h, got)
			}
		case float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want):
			t.Fatalf("%#04x: got %v, want %v", h, got, want)
		}
	}
}

func TestBlobDataErrors(t *testing.T) {
	dims := func(d ...int64) *caffepb.BlobShape { return &caffepb.BlobShape{Dim: d} }
	cases := []struct {
		name string
		b    *caffepb.BlobProto
		msg  string
	}{
		{"count", &caffepb.BlobProto{Shape: dims(2, 3, 4, 5), Data: make([]float32, 10)},
			"blob has 10 values but its shape 2x3x4x5 needs 120"},
		{"legacy count", &caffepb.BlobProto{Num: proto.Int32(1), Channels: proto.Int32(2), Data: make([]float32, 2)},
			"blob has 2 values but its shape 1x2x0x0 needs 0"},
		{"double count", &caffepb.BlobProto{Shape: dims(4), DoubleData: []float64{1, 2}},
			"blob has 2 values (double_data) but its shape 4 needs 4"},
		{"scalar", &caffepb.BlobProto{Data: []float32{1, 2}}, "blob has 2 values but its shape scalar needs 1"},
		{"negative", &caffepb.BlobProto{Shape: dims(3, -1), Data: make([]float32, 3)}, "negative dimension -1 at axis 1"},
		{"negative legacy", &caffepb.BlobProto{Num: proto.Int32(-2)}, "negative dimension -2 at axis 0"},
		{"overflow", &caffepb.BlobProto{Shape: dims(1<<40, 1<<40)}, "more than"},
		{"too big", &caffepb.BlobProto{Shape: dims(1<<20, 1<<20), Data: make([]float32, 10)}, "more than 2147483648 elements"},
		{"axes", &caffepb.BlobProto{Shape: dims(make([]int64, 33)...)}, "33 axes; Caffe allows at most 32"},
		{"raw odd", &caffepb.BlobProto{Shape: dims(2), RawDataType: caffepb.Type_FLOAT16.Enum(), RawData: []byte{1, 2, 3}},
			"raw_data of 3 bytes is not a whole number of FLOAT16 values"},
		{"raw count", &caffepb.BlobProto{Shape: dims(3), RawDataType: caffepb.Type_FLOAT16.Enum(), RawData: f16bytes(1, 2)},
			"blob has 2 FLOAT16 values (raw_data) but its shape 3 needs 3"},
		{"raw int", &caffepb.BlobProto{Shape: dims(1), RawDataType: caffepb.Type_INT.Enum(), RawData: make([]byte, 4)},
			"raw_data_type INT is not supported"},
		{"nil", nil, "blob is missing"},
	}
	for _, c := range cases {
		got, err := BlobData(c.b)
		if err == nil || !strings.Contains(err.Error(), c.msg) || got != nil {
			t.Errorf("%s: BlobData = %d values, %v; want error %q", c.name, len(got), err, c.msg)
		}
	}
}

// A blob that claims 10^12 elements is refused before anything of that size
// is allocated, whatever data it carries.
func TestBlobDataHugeClaimAllocatesNothing(t *testing.T) {
	blobs := []*caffepb.BlobProto{
		{Shape: &caffepb.BlobShape{Dim: []int64{1_000_000, 1_000_000}}, Data: make([]float32, 10)},
		{Shape: &caffepb.BlobShape{Dim: []int64{1_000_000, 1_000_000}}, RawDataType: caffepb.Type_FLOAT16.Enum(), RawData: make([]byte, 20)},
		{Shape: &caffepb.BlobShape{Dim: []int64{1_000_000, 1_000_000}}, DoubleData: make([]float64, 10)},
		// Within MaxElements but not matching: the mismatch is found first too.
		{Shape: &caffepb.BlobShape{Dim: []int64{1 << 15, 1 << 15}}, RawDataType: caffepb.Type_DOUBLE.Enum(), RawData: make([]byte, 16)},
	}
	for i, b := range blobs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := BlobData(b); err == nil {
				t.Fatalf("blob %d accepted", i)
			}
		})
		runtime.ReadMemStats(&after)
		if perRun := (after.TotalAlloc - before.TotalAlloc) / 11; allocs > 10 || perRun > 4096 {
			t.Errorf("blob %d: %v allocations, %d bytes per rejected call", i, allocs, perRun)
		}
	}
	if graph.MaxElements >= 1_000_000_000_000 {
		t.Fatal("test assumes MaxElements < 10^12")
	}
}

func TestLegacyShapeMatches(t *testing.T) {
	legacy := func(n, c, h, w int32) *caffepb.BlobProto {
		return &caffepb.BlobProto{Num: &n, Channels: &c, Height: &h, Width: &w}
	}
	cases := []struct {
		shape []int
		b     *caffepb.BlobProto
		want  bool
	}{
		{[]int{10}, legacy(1, 1, 1, 10), true},                         // bias
		{[]int{10, 20}, legacy(1, 1, 10, 20), true},                    // InnerProduct weight
		{[]int{64, 3, 7, 7}, legacy(64, 3, 7, 7), true},                // conv weight
		{[]int{20, 10}, legacy(1, 1, 10, 20), false},                   // transposed
		{[]int{10}, legacy(1, 1, 10, 1), false},                        // wrong alignment
		{[]int{1, 1, 1, 1, 10}, legacy(1, 1, 1, 10), false},            // 5-D never matches legacy
		{[]int{}, legacy(1, 1, 1, 1), true},                            // scalar vs 1x1x1x1
		{[]int{2, 10}, legacy(1, 1, 1, 10), false},                     // leading axis is not 1
		{[]int{10}, &caffepb.BlobProto{Width: proto.Int32(10)}, false}, // absent num is 0, not 1
		{[]int{3, 4}, EncodeBlob([]int{3, 4}, nil), true},
		{[]int{3, 4}, EncodeBlob([]int{1, 1, 3, 4}, nil), false}, // new-style shapes compare exactly
		{[]int{3}, EncodeBlob([]int{3, 1}, nil), false},
		{[]int{}, &caffepb.BlobProto{}, true},
		{[]int{1}, nil, false},
	}
	for i, c := range cases {
		if got := LegacyShapeMatches(c.shape, c.b); got != c.want {
			s, _ := BlobShape(c.b)
			t.Errorf("case %d: LegacyShapeMatches(%v, blob %v) = %v, want %v", i, c.shape, s, got, c.want)
		}
	}
}

func TestEncodeBlobRoundTrip(t *testing.T) {
	data := []float32{1, -2, 3.5, float32(math.Inf(1)), 0, 6}
	b := EncodeBlob([]int{1, 2, 3}, data)
	wire, err := proto.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	back := &caffepb.BlobProto{}
	if err := DecodeBinary("blob", wire, back); err != nil {
		t.Fatal(err)
	}
	shape, legacy := BlobShape(back)
	got, err := BlobData(back)
	if err != nil || legacy || !equalInts(shape, []int{1, 2, 3}) || !equalInts(got, data) {
		t.Errorf("round trip: %v %v %v %v", shape, legacy, got, err)
	}
	if back.Num != nil || back.DoubleData != nil || back.RawData != nil {
		t.Errorf("EncodeBlob wrote more than shape and data: %v", back)
	}
}
