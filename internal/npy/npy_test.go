package npy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// The fixtures in testdata/ were written by NumPy (testdata/gen.py).
func TestReadNumpyFixtures(t *testing.T) {
	arange := []float32{0, 1, 2, 3, 4, 5}
	for _, name := range []string{"f4", "f8", "i8", "i4", "u1", "be_f4", "be_i2", "i1", "u2", "u4", "u8", "fortran_f4", "v2", "v3"} {
		x, err := Read(filepath.Join("testdata", name+".npy"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !x.Shape.Equal(graph.Shape{2, 3}) || !equal(x.Data, arange) {
			t.Errorf("%s: got %v %v, want 2x3 %v", name, x.Shape, x.Data, arange)
		}
	}
	cases := []struct {
		file  string
		shape graph.Shape
		data  []float32
	}{
		{"b1", graph.Shape{2, 3}, []float32{0, 1, 0, 1, 0, 1}},
		{"scalar", graph.Shape{}, []float32{2.5}},
		{"empty", graph.Shape{0, 3}, []float32{}},
		{"vec", graph.Shape{5}, []float32{0, 1, 2, 3, 4}},
	}
	for _, c := range cases {
		x, err := Read(filepath.Join("testdata", c.file+".npy"))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if !x.Shape.Equal(c.shape) || x.Shape == nil || !equal(x.Data, c.data) {
			t.Errorf("%s: got %#v %v, want %v %v", c.file, x.Shape, x.Data, c.shape, c.data)
		}
	}
	x, err := Read("testdata/fortran_3d.npy")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x.Data {
		if v != float32(i) {
			t.Fatalf("fortran_3d: C-order element %d is %g", i, v)
		}
	}
}

// TestEncodeMatchesNumpy: our float32 output is byte-identical to np.save.
func TestEncodeMatchesNumpy(t *testing.T) {
	for _, name := range []string{"f4", "scalar", "empty", "vec"} {
		want, err := os.ReadFile(filepath.Join("testdata", name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		x, err := Decode(bytes.NewReader(want), name)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := Encode(&got, x); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: encoded\n%q\nnumpy wrote\n%q", name, got.Bytes(), want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	shapes := []graph.Shape{{}, {1}, {7}, {2, 3, 4}, {1, 3, 5, 5}, {0}, {2, 0, 3}, {1, 1, 1, 1, 1, 1, 1}}
	for _, s := range shapes {
		x := graph.NewTensor(s)
		for i := range x.Data {
			x.Data[i] = float32(i)*0.5 - 3
		}
		path := filepath.Join(t.TempDir(), "x.npy")
		if err := Write(path, x); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		hl := int(binary.LittleEndian.Uint16(raw[8:10]))
		if (10+hl)%64 != 0 || raw[10+hl-1] != '\n' {
			t.Errorf("%v: header of %d bytes does not end a 64-byte block with a newline", s, hl)
		}
		y, err := Read(path)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if !y.Shape.Equal(s) || !equal(x.Data, y.Data) {
			t.Errorf("%v: read back %v %v", s, y.Shape, y.Data)
		}
	}
	if err := Encode(&bytes.Buffer{}, &graph.Tensor{Shape: graph.Shape{2}, Data: []float32{1}}); err == nil {
		t.Error("tensor with wrong data length encoded")
	}
}

// TestConformanceFiles reads every .npy Caffe's reference data holds and
// checks the shapes against case.json; re-encoding gives the same bytes.
func TestConformanceFiles(t *testing.T) {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("set CAFFETOOL_SHARED=/work/shared to read the conformance .npy files")
	}
	cases, _ := filepath.Glob(filepath.Join(root, "conformance/layers/*/case.json"))
	if len(cases) == 0 {
		t.Fatal("no conformance cases found")
	}
	files := 0
	for _, cj := range cases {
		raw, err := os.ReadFile(cj)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Shapes map[string][]int `json:"shapes"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			t.Fatalf("%s: %v", cj, err)
		}
		dir := filepath.Dir(cj)
		npys, _ := filepath.Glob(filepath.Join(dir, "*", "*.npy"))
		for _, p := range npys {
			x, err := Read(p)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			files++
			blob := strings.TrimSuffix(filepath.Base(p), ".npy")
			if want, ok := meta.Shapes[blob]; ok && !x.Shape.Equal(graph.Shape(want)) {
				t.Errorf("%s: shape %v, case.json says %v", p, x.Shape, want)
			}
			orig, _ := os.ReadFile(p)
			var re bytes.Buffer
			if err := Encode(&re, x); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(re.Bytes(), orig) {
				t.Errorf("%s: re-encoding differs from the NumPy file", p)
			}
		}
	}
	x, err := Read(filepath.Join(root, "conformance/layers/reduction_all_ops/outputs/sum_all.npy"))
	if err != nil || x.Shape == nil || len(x.Shape) != 0 || len(x.Data) != 1 {
		t.Errorf("0-d sum_all.npy: %v %v", x, err)
	}
	m, err := Read(filepath.Join(root, "zoo/imagenet_mean/ilsvrc_2012_mean.npy"))
	if err != nil || !m.Shape.Equal(graph.Shape{3, 256, 256}) {
		t.Errorf("ilsvrc_2012_mean.npy (float64): %v %v", err, m)
	}
	t.Logf("read %d conformance .npy files", files)
}

// npyBytes builds a v1.0 file with the given header dict and payload.
func npyBytes(dict string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	b.Write(payload)
	return b.Bytes()
}

func TestHostileInput(t *testing.T) {
	f4 := func(shape string) string {
		return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n"
	}
	hugeV2 := append([]byte(magic), 2, 0, 0xff, 0xff, 0xff, 0x7f)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"bad magic", []byte("\x93NUMPZ\x01\x00\x00\x00"), "magic"},
		{"version 9", append([]byte(magic), 9, 0, 0, 0), "version"},
		{"header past end", append([]byte(magic), 1, 0, 0xff, 0xff, '{'), "past the end"},
		{"huge v2 header", hugeV2, "limit"},
		{"huge shape", npyBytes(f4("(100000, 100000, 100000)"), nil), "elements"},
		{"count overflow", npyBytes(f4("(9223372036854775807, 9223372036854775807)"), nil), "elements"},
		{"lying shape", npyBytes(f4("(1000, 1000)"), make([]byte, 16)), "needs 4000000 data bytes"},
		{"negative dim", npyBytes(f4("(-1, 3)"), nil), "non-negative"},
		{"not a dict", npyBytes("[1, 2]\n", nil), "not a dict"},
		{"missing key", npyBytes("{'descr': '<f4', 'shape': (1,)}\n", nil), "fortran_order"},
		{"extra key", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", nil), "keys"},
		{"dup key", npyBytes("{'descr': '<f4', 'descr': '<f4'}\n", nil), "repeats"},
		{"structured", npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", nil), "structured"},
		{"complex", npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", nil), "unsupported dtype"},
		{"object", npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", nil), "unsupported dtype"},
		{"pipe f4", npyBytes("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }\n", nil), "byte order"},
		{"unterminated", npyBytes("{'descr: '<f4'}\n", nil), "header"},
		{"deep", npyBytes(strings.Repeat("(", 100)+"\n", nil), "deeply"},
		{"garbage", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x\n", nil), "after"},
		{"float dim", npyBytes(f4("(1.5,)"), nil), "header"},
		{"fortran not bool", npyBytes("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }\n", nil), "fortran_order"},
		{"truncated data", npyBytes(f4("(3,)"), make([]byte, 8)), "needs 12 data bytes"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "bad.npy")
		os.WriteFile(path, c.data, 0o644)
		_, err := Read(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: Read error %v, want one naming the file and mentioning %q", c.name, err, c.want)
		}
		if _, err := Decode(bytes.NewReader(c.data), c.name); err == nil {
			t.Errorf("%s: Decode accepted it", c.name)
		}
	}
	// Python 2 long suffixes, double quotes and spacing are fine.
	x, err := Decode(bytes.NewReader(npyBytes(`{"descr":"<f4","fortran_order":False,"shape":(2L,)}`, make([]byte, 8))), "py2")
	if err != nil || !x.Shape.Equal(graph.Shape{2}) {
		t.Errorf("py2-style header: %v %v", x, err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"f4", "scalar", "fortran_3d", "v3", "b1"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".npy"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Decode(bytes.NewReader(b), "fuzz")
		if err == nil && int64(len(x.Data)) != int64(x.Shape.Count()) {
			t.Fatalf("shape %v with %d values", x.Shape, len(x.Data))
		}
	})
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
