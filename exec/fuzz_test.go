package exec_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/fuzzgen"
)

// Bounds that keep one fuzz execution in the milliseconds.
const (
	fuzzMaxBlob  = 1 << 16 // elements of any one blob or parameter
	fuzzMaxTotal = 1 << 18 // elements of all blobs together
	fuzzMaxMACs  = 20e6
)

// FuzzForward builds small nets from the fuzzer's bytes (layer types,
// parameters, fillers, wiring and input shapes all drawn from them; see
// internal/fuzzgen), and runs what `caffetool init` and `caffetool run`
// do: shape inference, parameter filling, compilation and two forward
// passes. Any error is fine; a panic (including one Forward recovers and
// reports as an internal error), a blob left with the wrong number of
// values, or two passes over the same inputs disagreeing is a bug.
func FuzzForward(f *testing.F) {
	// in: 1x3x5x5; conv; relu in place; pool; inner product; softmax.
	f.Add([]byte{0, 0, 3, 4, 4, 2, 1, 0, 3, 1, 1, 3, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 5, 1, 1, 2, 1, 0, 0, 0, 0, 8, 9, 1, 1, 0, 0, 0, 0, 32, 1})
	f.Add([]byte("\x01\x00\x02\x03\x03\x03\x00\x01\x01\x02\x02\x02\x1f\x01\x01\x02\x21\x00\x23\x00\x31\x02"))
	f.Add([]byte("\x00\x00\x02\x04\x05\x05\x2e\x03\x05\x09\x02\x01\x02\x02\x10\x01\x01\x08\x08\x04\x04\x01\x2f\x02\x02\x02\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := fuzzgen.Net(data, fuzzgen.Limits{MaxDim: 6, MaxLayers: 8})
		if err != nil || g.InferShapes(nil) != nil || !fuzzSmall(g) {
			return
		}
		if _, err := exec.InitParams(g, uint64(len(data)), false); err != nil {
			checkExecError(t, "InitParams", err)
			return
		}
		net, err := exec.Compile(g, exec.Options{KeepAll: true})
		if err != nil {
			checkExecError(t, "Compile", err)
			return
		}
		in := fuzzInputs(net, data)
		if err := net.Forward(in); err != nil {
			checkExecError(t, "Forward", err)
			return
		}
		first := map[*graph.Value][]float32{}
		for _, v := range g.Values {
			// DetectionOutput's top is sized by the detections found, as
			// in Caffe, so only the tensor's own shape is binding.
			x := net.ValueTensor(v)
			if x == nil || len(x.Data) != x.Shape.Count() {
				t.Fatalf("blob %s: tensor data does not fit its shape", v.Name())
			}
			first[v] = append([]float32(nil), x.Data...)
		}
		if err := net.Forward(in); err != nil {
			t.Fatalf("second Forward failed after the first succeeded: %v", err)
		}
		for _, v := range g.Values {
			if i := firstDiff(first[v], net.ValueTensor(v).Data); i >= 0 {
				t.Fatalf("blob %s element %d: %v then %v over the same inputs", v.Name(), i, first[v][i], net.ValueTensor(v).Data[i])
			}
		}
	})
}

// fuzzSmall keeps nets whose blobs, parameters and MACs stay small.
func fuzzSmall(g *graph.Graph) bool {
	total := 0
	for _, v := range g.Values {
		c := v.Shape.Count()
		if c > fuzzMaxBlob {
			return false
		}
		total += c
	}
	if total > fuzzMaxTotal {
		return false
	}
	for _, n := range g.Nodes {
		ps, err := graph.ParamShapesOf(n)
		if err != nil {
			continue // InitParams reports it
		}
		for _, s := range ps {
			if c, ok := s.Count64(); !ok || c > fuzzMaxBlob {
				return false
			}
		}
	}
	_, tot, err := g.Costs()
	return err == nil && tot.MACs <= fuzzMaxMACs
}

// fuzzInputs fills every input with values derived from data: small
// integers (indices for Embed and BatchReindex, labels) and reals.
func fuzzInputs(net *exec.Net, data []byte) map[string]*graph.Tensor {
	var seed uint64
	for _, c := range data {
		seed = seed*31 + uint64(c)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	in := map[string]*graph.Tensor{}
	for _, v := range net.Inputs() {
		x := graph.NewTensor(v.Shape)
		ints := rng.IntN(2) == 0
		for i := range x.Data {
			if ints {
				x.Data[i] = float32(rng.IntN(9) - 1)
			} else {
				x.Data[i] = float32(rng.NormFloat64())
			}
		}
		in[v.Blob] = x
	}
	return in
}

// checkExecError fails on errors that are really bugs: recovered panics
// and messages spread over several lines.
func checkExecError(t *testing.T, stage string, err error) {
	t.Helper()
	msg := err.Error()
	if strings.Contains(msg, "internal error") {
		t.Fatalf("%s: %v", stage, err)
	}
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("%s: error spans lines: %q", stage, msg)
	}
}

// firstDiff is the first index where a and b differ bit for bit (NaNs
// compare by payload), or -1.
func firstDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
