package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// at reads a row-major element.
func at(t *graph.Tensor, idx ...int) float32 {
	o := 0
	for i, v := range idx {
		o = o*t.Shape[i] + v
	}
	return t.Data[o]
}

func TestConcatSliceRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for axis := -4; axis < 4; axis++ {
		a := canon(axis, 4)
		shapes := [][]int{{2, 3, 4, 5}, {2, 3, 4, 5}, {2, 3, 4, 5}}
		for i := range shapes {
			shapes[i][a] = i + 1
		}
		parts := []*graph.Tensor{coreRand(r, shapes[0]...), coreRand(r, shapes[1]...), coreRand(r, shapes[2]...)}
		cat := coreRun(t, "Concat", &graph.Concat{Axis: axis}, nil, 1, parts...)[0]
		// Element check: position p along the axis comes from part j at p-off.
		total := cat.Shape.Count()
		idx := make([]int, 4)
		for o := 0; o < total; o++ {
			rem := o
			for d := 3; d >= 0; d-- {
				idx[d] = rem % cat.Shape[d]
				rem /= cat.Shape[d]
			}
			p, j := idx[a], 0
			for p >= shapes[j][a] {
				p -= shapes[j][a]
				j++
			}
			src := append([]int(nil), idx...)
			src[a] = p
			if cat.Data[o] != at(parts[j], src...) {
				t.Fatalf("axis %d: concat[%v] = %v, want part %d%v", axis, idx, cat.Data[o], j, src)
			}
		}
		back := coreRun(t, "Slice", &graph.Slice{Axis: axis, SlicePoints: []int{1, 3}}, nil, 3, cat)
		for i := range parts {
			if err := coreExact(back[i].Data, parts[i].Data); err != nil {
				t.Errorf("axis %d slice %d: %v", axis, i, err)
			}
		}
	}
}

func canon(a, rank int) int {
	if a < 0 {
		return a + rank
	}
	return a
}

func TestSplitFlattenReshapeDropout(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	x := coreRand(r, 2, 3, 4, 5)
	for i, top := range coreRun(t, "Split", &graph.Split{}, nil, 3, x) {
		if err := coreExact(top.Data, x.Data); err != nil {
			t.Errorf("split %d: %v", i, err)
		}
	}
	fl := coreRun(t, "Flatten", &graph.Flatten{Axis: 1, EndAxis: -1}, nil, 1, x)[0]
	if !fl.Shape.Equal(graph.Shape{2, 60}) {
		t.Errorf("flatten shape %v", fl.Shape)
	}
	if err := coreExact(fl.Data, x.Data); err != nil {
		t.Errorf("flatten: %v", err)
	}
	rs := coreRun(t, "Reshape", &graph.Reshape{Dims: []int{0, -1, 5}, NumAxes: -1}, nil, 1, x)[0]
	if !rs.Shape.Equal(graph.Shape{2, 12, 5}) {
		t.Errorf("reshape shape %v", rs.Shape)
	}
	if err := coreExact(rs.Data, x.Data); err != nil {
		t.Errorf("reshape: %v", err)
	}
	dr := coreRun(t, "Dropout", &graph.Dropout{Ratio: 0.3, ScaleTrain: true}, nil, 1, x)[0]
	if err := coreExact(dr.Data, x.Data); err != nil {
		t.Errorf("dropout: %v", err)
	}
	// Without scale_train the test pass scales by 1-ratio (1/scale_ in float32).
	ds := coreRun(t, "Dropout", &graph.Dropout{Ratio: 0.5, ScaleTrain: false}, nil, 1, x)[0]
	for i, v := range x.Data {
		if ds.Data[i] != v*0.5 {
			t.Fatalf("dropout scale_train=false: [%d] = %v, want %v", i, ds.Data[i], v*0.5)
		}
	}
}

func TestCrop(t *testing.T) {
	x := coreSeq(2, 3, 9, 8)
	ref := graph.NewTensor(graph.Shape{1, 2, 5, 4})
	cases := []struct {
		op   graph.Crop
		want graph.Shape
		off  []int
	}{
		{graph.Crop{Axis: 2, Offsets: []int{1, 2}}, graph.Shape{2, 3, 5, 4}, []int{0, 0, 1, 2}},
		{graph.Crop{Axis: 2, Offsets: []int{3}}, graph.Shape{2, 3, 5, 4}, []int{0, 0, 3, 3}},
		{graph.Crop{Axis: 1, Offsets: []int{1, 2, 4}}, graph.Shape{2, 2, 5, 4}, []int{0, 1, 2, 4}},
		{graph.Crop{Axis: -2}, graph.Shape{2, 3, 5, 4}, []int{0, 0, 0, 0}},
		{graph.Crop{Axis: 0, Offsets: []int{1}}, graph.Shape{1, 2, 5, 4}, []int{1, 1, 1, 1}},
	}
	for _, c := range cases {
		op := c.op
		got := coreRun(t, "Crop", &op, nil, 1, x, ref)[0]
		if !got.Shape.Equal(c.want) {
			t.Errorf("%+v: shape %v, want %v", c.op, got.Shape, c.want)
			continue
		}
		i := 0
		for n := 0; n < c.want[0]; n++ {
			for ch := 0; ch < c.want[1]; ch++ {
				for h := 0; h < c.want[2]; h++ {
					for w := 0; w < c.want[3]; w++ {
						want := at(x, n+c.off[0], ch+c.off[1], h+c.off[2], w+c.off[3])
						if got.Data[i] != want {
							t.Fatalf("%+v: [%d,%d,%d,%d] = %v, want %v", c.op, n, ch, h, w, got.Data[i], want)
						}
						i++
					}
				}
			}
		}
	}
	// An offset pushing the window past the input is refused.
	bad := &graph.Crop{Axis: 2, Offsets: []int{5, 0}}
	if _, err := newCrop(coreNode("Crop", bad), []graph.Shape{{2, 3, 9, 8}, {1, 2, 5, 4}}, []graph.Shape{{2, 3, 5, 4}}); err == nil {
		t.Error("out-of-range crop accepted")
	}
}

func TestTile(t *testing.T) {
	x := coreSeq(2, 3, 2)
	got := coreRun(t, "Tile", &graph.Tile{Axis: 1, Tiles: 3}, nil, 1, x)[0]
	if !got.Shape.Equal(graph.Shape{2, 9, 2}) {
		t.Fatalf("shape %v", got.Shape)
	}
	for n := 0; n < 2; n++ {
		for c := 0; c < 9; c++ {
			for w := 0; w < 2; w++ {
				if at(got, n, c, w) != at(x, n, c%3, w) {
					t.Fatalf("[%d,%d,%d] = %v, want %v", n, c, w, at(got, n, c, w), at(x, n, c%3, w))
				}
			}
		}
	}
}

func TestParameterAndSilence(t *testing.T) {
	p := coreSeq(2, 3)
	got := coreRun(t, "Parameter", &graph.Parameter{Shape: graph.Shape{2, 3}}, []*graph.Tensor{p}, 1)[0]
	if err := coreExact(got.Data, p.Data); err != nil {
		t.Error(err)
	}
	if _, err := coreRunErr("Silence", &graph.Silence{}, nil, 0, p); err != nil {
		t.Error(err)
	}
	if _, err := coreRunErr("Parameter", &graph.Parameter{Shape: graph.Shape{2, 3}}, nil, 1); err == nil {
		t.Error("Parameter without its blob accepted")
	}
}

func TestBatchReindex(t *testing.T) {
	x := coreSeq(3, 2, 2)
	idx := &graph.Tensor{Shape: graph.Shape{4}, Data: []float32{2, 0, 2.7, 1}}
	got := coreRun(t, "BatchReindex", &graph.BatchReindex{}, nil, 1, x, idx)[0]
	want := []float32{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7}
	if err := coreExact(got.Data, want); err != nil {
		t.Fatal(err)
	}
	idx.Data[1] = 3
	if _, err := coreRunErr("BatchReindex", &graph.BatchReindex{}, nil, 1, x, idx); err == nil {
		t.Error("out-of-range index accepted")
	}
}
