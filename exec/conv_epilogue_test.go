package exec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The compiled epilogue (affine passes, vectorised on amd64) gives the
// step-by-step epilogue's bits for random step sequences, on rows of
// every length around the vector width, with ±0, ±Inf, NaN, tiny and huge
// values in both the data and the per-channel operands.
func TestEpilogueCompiledExact(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	special := []float32{0, negZero, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		1e-40, -1e-40, 3e38, -3e38, 1, -1}
	val := func() float32 {
		if r.IntN(4) == 0 {
			return special[r.IntN(len(special))]
		}
		return float32(r.NormFloat64())
	}
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = val()
		}
		return v
	}
	const channels = 3
	kinds := []epiKind{epiAdd, epiBN, epiMul, epiMulAdd, epiReLU, epiLeakyReLU, epiReLU6}
	for it := range 2000 {
		var e epilogue
		for range 1 + r.IntN(6) {
			s := epiStep{kind: kinds[r.IntN(len(kinds))], a: vec(channels), b: vec(channels), slope: val()}
			e = append(e, s)
		}
		passes := e.compile(channels)
		n := r.IntN(70)
		for c := range channels {
			row := vec(n)
			want := append([]float32(nil), row...)
			e.apply(c, want)
			passes.apply(c, row)
			for i := range row {
				if math.Float32bits(row[i]) != math.Float32bits(want[i]) {
					t.Fatalf("case %d, steps %v, channel %d, n %d: [%d] = %v (%#x), steps give %v (%#x)",
						it, stepKinds(e), c, n, i, row[i], math.Float32bits(row[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

func stepKinds(e epilogue) []epiKind {
	var k []epiKind
	for _, s := range e {
		k = append(k, s.kind)
	}
	return k
}

// The usual chains compile to one pass each.
func TestEpilogueCompilePacking(t *testing.T) {
	c := []float32{1}
	cases := []struct {
		steps  []epiKind
		passes int
	}{
		{[]epiKind{epiAdd}, 1},
		{[]epiKind{epiAdd, epiReLU}, 1},
		{[]epiKind{epiBN, epiMulAdd, epiReLU}, 1},
		{[]epiKind{epiAdd, epiBN, epiMulAdd, epiReLU}, 1},
		{[]epiKind{epiAdd, epiMul, epiAdd, epiReLU}, 1},
		{[]epiKind{epiAdd, epiAdd, epiAdd}, 2},
		{[]epiKind{epiReLU, epiAdd}, 2},
		{[]epiKind{epiAdd, epiLeakyReLU, epiBN}, 3},
	}
	for _, tc := range cases {
		var e epilogue
		for _, k := range tc.steps {
			e = append(e, epiStep{kind: k, a: c, b: c})
		}
		if got := len(e.compile(1)); got != tc.passes {
			t.Errorf("%v: %d passes, want %d", tc.steps, got, tc.passes)
		}
	}
}
