package exec

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/caffetool/caffetool/graph"
)

func filler(typ string) graph.Filler {
	f := graph.DefaultFiller()
	f.Type = typ
	return f
}

func fillNew(t *testing.T, shape graph.Shape, f graph.Filler, seed uint64) *graph.Tensor {
	t.Helper()
	x := graph.NewTensor(shape)
	if err := Fill(x, f, NewRand(seed), false); err != nil {
		t.Fatalf("Fill(%v, %+v): %v", shape, f, err)
	}
	return x
}

// moments returns mean, standard deviation, min and max in float64.
func moments(d []float32) (mean, std, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range d {
		mean += float64(v)
		lo = math.Min(lo, float64(v))
		hi = math.Max(hi, float64(v))
	}
	mean /= float64(len(d))
	for _, v := range d {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(d))), lo, hi
}

// checkMoments checks the sample mean and std against a distribution with
// the given mean and std, allowing 5 standard errors for a sample of n.
// The std of the sample std is about std·sqrt((kurtosis-1)/(4n)); 1/sqrt(n)
// covers both the uniform and the normal case.
func checkMoments(t *testing.T, what string, d []float32, wantMean, wantStd float64) {
	t.Helper()
	n := float64(len(d))
	mean, std, _, _ := moments(d)
	if tol := 5 * wantStd / math.Sqrt(n); math.Abs(mean-wantMean) > tol {
		t.Errorf("%s: mean %.5f, want %.5f ± %.5f", what, mean, wantMean, tol)
	}
	if tol := 5 * wantStd / math.Sqrt(n); math.Abs(std-wantStd) > tol {
		t.Errorf("%s: std %.5f, want %.5f ± %.5f", what, std, wantStd, tol)
	}
}

func TestFillConstant(t *testing.T) {
	f := filler("constant")
	f.Value = 0.25
	x := fillNew(t, graph.Shape{3, 4}, f, 1)
	for i, v := range x.Data {
		if v != 0.25 {
			t.Fatalf("data[%d] = %g, want 0.25", i, v)
		}
	}
}

func TestFillUniform(t *testing.T) {
	f := filler("uniform")
	f.Min, f.Max = -2, 3
	x := fillNew(t, graph.Shape{100, 200}, f, 7)
	_, _, lo, hi := moments(x.Data)
	if lo < -2 || hi > 3 {
		t.Errorf("values in [%g, %g], want within [-2, 3]", lo, hi)
	}
	// With 20000 draws both ends are approached within 0.01.
	if lo > -1.99 || hi < 2.99 {
		t.Errorf("values in [%g, %g] do not cover [-2, 3]", lo, hi)
	}
	checkMoments(t, "uniform", x.Data, 0.5, 5/math.Sqrt(12))

	f.Min, f.Max = 1, 1 // min == max is allowed
	x = fillNew(t, graph.Shape{5}, f, 7)
	for _, v := range x.Data {
		if v != 1 {
			t.Fatalf("uniform [1,1] gave %g", v)
		}
	}
}

func TestFillGaussian(t *testing.T) {
	f := filler("gaussian")
	f.Mean, f.Std = 0.5, 0.1
	x := fillNew(t, graph.Shape{100, 10, 3, 3}, f, 3)
	checkMoments(t, "gaussian", x.Data, 0.5, 0.1)
}

func TestFillGaussianSparse(t *testing.T) {
	// 200 outputs, sparse 50: each weight kept with probability 1/4.
	f := filler("gaussian")
	f.Std = 1
	f.Sparse = 50
	x := fillNew(t, graph.Shape{200, 100}, f, 11)
	zeros := 0
	for _, v := range x.Data {
		if v == 0 {
			zeros++
		}
	}
	n := float64(len(x.Data))
	kept := 1 - float64(zeros)/n
	if tol := 5 * math.Sqrt(0.25*0.75/n); math.Abs(kept-0.25) > tol {
		t.Errorf("kept fraction %.4f, want 0.25 ± %.4f", kept, tol)
	}
	// sparse 0 zeroes everything; sparse = num_outputs keeps everything.
	f.Sparse = 0
	for _, v := range fillNew(t, graph.Shape{4, 5}, f, 1).Data {
		if v != 0 {
			t.Fatalf("sparse 0 kept %g", v)
		}
	}
	f.Sparse = 4
	for _, v := range fillNew(t, graph.Shape{4, 5}, f, 1).Data {
		if v == 0 {
			t.Fatalf("sparse = num_outputs zeroed a value")
		}
	}
}

func TestFillPositiveUnitball(t *testing.T) {
	x := fillNew(t, graph.Shape{6, 3, 2, 2}, filler("positive_unitball"), 5)
	for r := 0; r < 6; r++ {
		var sum float64
		for _, v := range x.Data[r*12 : (r+1)*12] {
			if v < 0 || v > 1 {
				t.Fatalf("row %d value %g outside [0, 1]", r, v)
			}
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("row %d sums to %.7f, want 1", r, sum)
		}
	}
}

func TestFillXavierMSRA(t *testing.T) {
	shape := graph.Shape{64, 32, 3, 3} // fan_in 288, fan_out 576
	cases := []struct {
		norm graph.VarianceNorm
		n    float64
	}{{graph.FanIn, 288}, {graph.FanOut, 576}, {graph.Average, 432}}
	for _, c := range cases {
		f := filler("xavier")
		f.VarianceNorm = c.norm
		x := fillNew(t, shape, f, 21)
		scale := math.Sqrt(3 / c.n)
		_, _, lo, hi := moments(x.Data)
		if lo < -scale-1e-7 || hi > scale+1e-7 {
			t.Errorf("xavier %v: values in [%g, %g], want within ±%g", c.norm, lo, hi, scale)
		}
		if hi < 0.99*scale || lo > -0.99*scale {
			t.Errorf("xavier %v: values in [%g, %g] do not reach ±%g", c.norm, lo, hi, scale)
		}
		checkMoments(t, "xavier "+c.norm.String(), x.Data, 0, scale/math.Sqrt(3))

		f.Type = "msra"
		x = fillNew(t, shape, f, 22)
		checkMoments(t, "msra "+c.norm.String(), x.Data, 0, math.Sqrt(2/c.n))
	}
	// A 1-axis blob: fan_in = count/shape[0] = 1, fan_out = count = 10.
	f := filler("xavier")
	f.VarianceNorm = graph.FanOut
	x := fillNew(t, graph.Shape{10}, f, 1)
	if _, _, lo, hi := moments(x.Data); lo < -math.Sqrt(0.3)-1e-7 || hi > math.Sqrt(0.3)+1e-7 {
		t.Errorf("1-D xavier FAN_OUT: values in [%g, %g], want within ±sqrt(3/10)", lo, hi)
	}
}

// TestFillXavierDeconv pins Caffe's behaviour for Deconvolution weights
// [C_in, C_out/g, k, k]: fan_in is count/shape[0] with no special case.
func TestFillXavierDeconv(t *testing.T) {
	x := graph.NewTensor(graph.Shape{256, 8, 4, 4}) // fan_in = 8*16 = 128
	if err := Fill(x, filler("xavier"), NewRand(4), true); err != nil {
		t.Fatal(err)
	}
	scale := math.Sqrt(3.0 / 128)
	_, _, lo, hi := moments(x.Data)
	if lo < -scale-1e-7 || hi > scale+1e-7 || hi < 0.99*scale {
		t.Errorf("deconv xavier: values in [%g, %g], want ±%g (fan_in 128)", lo, hi, scale)
	}
}

func TestFillBilinear(t *testing.T) {
	want4 := []float32{0.25, 0.75, 0.75, 0.25}
	x := fillNew(t, graph.Shape{3, 1, 4, 4}, filler("bilinear"), 1)
	for i, v := range x.Data {
		if w := want4[i%4] * want4[(i/4)%4]; v != w {
			t.Fatalf("4x4 kernel [%d] = %g, want %g", i, v, w)
		}
	}
	// Odd K (after BVLC PR #5713): K=3 gives outer([.5, 1, .5]).
	want3 := []float32{0.5, 1, 0.5}
	x = fillNew(t, graph.Shape{1, 2, 3, 3}, filler("bilinear"), 1)
	for i, v := range x.Data {
		if w := want3[i%3] * want3[(i/3)%3]; v != w {
			t.Fatalf("3x3 kernel [%d] = %g, want %g", i, v, w)
		}
	}
}

// TestFillBilinearMatchesCaffe compares with the weights Caffe's own
// bilinear filler wrote into the deconv_bilinear_upsample conformance case.
func TestFillBilinearMatchesCaffe(t *testing.T) {
	root := os.Getenv("CAFFETOOL_SHARED")
	if root == "" {
		t.Skip("set CAFFETOOL_SHARED=/work/shared to compare with Caffe's bilinear weights")
	}
	raw, err := os.ReadFile(filepath.Join(root, "conformance/layers/deconv_bilinear_upsample/weights.caffemodel"))
	if err != nil {
		t.Fatal(err)
	}
	blobs := caffemodelBlobs(t, raw)["upsample"]
	if len(blobs) != 1 {
		t.Fatalf("layer upsample has %d blobs, want 1", len(blobs))
	}
	x := fillNew(t, graph.Shape{3, 1, 4, 4}, filler("bilinear"), 1)
	if len(blobs[0]) != len(x.Data) {
		t.Fatalf("caffe blob has %d values, want %d", len(blobs[0]), len(x.Data))
	}
	for i := range x.Data {
		if x.Data[i] != blobs[0][i] {
			t.Fatalf("[%d] = %g, Caffe wrote %g", i, x.Data[i], blobs[0][i])
		}
	}
}

// caffemodelBlobs pulls the float data of each layer's blobs out of a
// serialized NetParameter (field 100 layer → 1 name, 7 blobs → 5 data),
// reading the wire format directly since exec may not import caffepb.
func caffemodelBlobs(t *testing.T, b []byte) map[string][][]float32 {
	t.Helper()
	out := map[string][][]float32{}
	for _, layer := range fields(t, b, 100) {
		var name string
		if n := fields(t, layer, 1); len(n) > 0 {
			name = string(n[0])
		}
		for _, blob := range fields(t, layer, 7) {
			var data []float32
			for _, packed := range fields(t, blob, 5) {
				for len(packed) >= 4 {
					v, n := protowire.ConsumeFixed32(packed)
					data = append(data, math.Float32frombits(v))
					packed = packed[n:]
				}
			}
			out[name] = append(out[name], data)
		}
	}
	return out
}

// fields returns the bytes of every length-delimited field num in b.
func fields(t *testing.T, b []byte, num protowire.Number) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			t.Fatalf("bad protobuf tag: %v", protowire.ParseError(l))
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				t.Fatalf("bad protobuf field: %v", protowire.ParseError(m))
			}
			out = append(out, v)
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(n, typ, b)
		if m < 0 {
			t.Fatalf("bad protobuf field: %v", protowire.ParseError(m))
		}
		b = b[m:]
	}
	return out
}

func TestFillErrors(t *testing.T) {
	mk := func(typ string, edit func(*graph.Filler)) graph.Filler {
		f := filler(typ)
		if edit != nil {
			edit(&f)
		}
		return f
	}
	cases := []struct {
		name  string
		shape graph.Shape
		f     graph.Filler
		want  string
	}{
		{"gaussian std 0", graph.Shape{2, 2}, mk("gaussian", func(f *graph.Filler) { f.Std = 0 }), "std"},
		{"gaussian std<0", graph.Shape{2, 2}, mk("gaussian", func(f *graph.Filler) { f.Std = -1 }), "std"},
		{"gaussian std NaN", graph.Shape{2, 2}, mk("gaussian", func(f *graph.Filler) { f.Std = float32(math.NaN()) }), "std"},
		{"sparse > outputs", graph.Shape{2, 2}, mk("gaussian", func(f *graph.Filler) { f.Sparse = 3 }), "probability"},
		{"sparse < -1", graph.Shape{2, 2}, mk("gaussian", func(f *graph.Filler) { f.Sparse = -2 }), "sparse"},
		{"uniform min>max", graph.Shape{2, 2}, mk("uniform", func(f *graph.Filler) { f.Min, f.Max = 1, 0 }), "min"},
		{"sparse on xavier", graph.Shape{2, 2}, mk("xavier", func(f *graph.Filler) { f.Sparse = 1 }), "sparsity"},
		{"sparse on constant", graph.Shape{2, 2}, mk("constant", func(f *graph.Filler) { f.Sparse = 0 }), "sparsity"},
		{"bilinear non-square", graph.Shape{1, 1, 3, 4}, mk("bilinear", nil), "square"},
		{"bilinear 3-D", graph.Shape{1, 4, 4}, mk("bilinear", nil), "4-D"},
		{"unknown type", graph.Shape{2}, mk("orthogonal", nil), `"orthogonal"`},
		{"empty blob", graph.Shape{0, 3}, mk("constant", nil), "empty"},
		{"xavier scalar", graph.Shape{}, mk("xavier", nil), "axis"},
	}
	for _, c := range cases {
		err := Fill(graph.NewTensor(c.shape), c.f, NewRand(1), false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if err := Fill(&graph.Tensor{Shape: graph.Shape{2, 2}, Data: make([]float32, 3)}, filler("constant"), NewRand(1), false); err == nil {
		t.Error("mismatched tensor accepted")
	}
}

func TestFillSeedReproducible(t *testing.T) {
	f := filler("gaussian")
	a := fillNew(t, graph.Shape{50}, f, 42)
	b := fillNew(t, graph.Shape{50}, f, 42)
	c := fillNew(t, graph.Shape{50}, f, 43)
	same, differ := true, false
	for i := range a.Data {
		same = same && a.Data[i] == b.Data[i]
		differ = differ || a.Data[i] != c.Data[i]
	}
	if !same || !differ {
		t.Errorf("seed 42 twice equal: %v; seeds 42 and 43 differ: %v", same, differ)
	}
}
