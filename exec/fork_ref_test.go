package exec

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

// PriorBox and DetectionOutput against references produced by OpenCV's dnn
// module (not Caffe: no Caffe with the SSD layers is available here) by
// testdata/fork/gen_ref.py. The ops mirror the parameters written there.

func xLoad(t *testing.T, name string) *graph.Tensor {
	t.Helper()
	x, err := npy.Read(filepath.Join("..", "testdata", "fork", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

var xPriorRefs = map[string]struct {
	feat, img graph.Shape
	op        *graph.PriorBox
}{
	"prior_a": {graph.Shape{1, 2, 3, 4}, graph.Shape{1, 3, 60, 80}, &graph.PriorBox{
		MinSizes: []float32{10, 25}, MaxSizes: []float32{20, 40}, AspectRatios: []float32{2, 3}, Flip: true,
		Variance: []float32{0.1, 0.1, 0.2, 0.2}, Offset: 0.5}},
	"prior_b": {graph.Shape{1, 1, 3, 3}, graph.Shape{1, 3, 50, 64}, &graph.PriorBox{
		MinSizes: []float32{30}, AspectRatios: []float32{2}, Clip: true, Variance: []float32{0.1},
		StepH: 16, StepW: 16, Offset: 0.5}},
	"prior_c": {graph.Shape{1, 1, 2, 3}, graph.Shape{1, 3, 100, 90}, &graph.PriorBox{
		MinSizes: []float32{20}, MaxSizes: []float32{50}, AspectRatios: []float32{0.5, 2}, Flip: true,
		ImgH: 100, ImgW: 90, StepH: 30, StepW: 25, Offset: 0.25, Variance: []float32{0.1, 0.2, 0.3, 0.4}}},
}

func xPriors(t *testing.T, name string) *graph.Tensor {
	t.Helper()
	c := xPriorRefs[name]
	return xRun(t, "PriorBox", c.op, nil, graph.NewTensor(c.feat), graph.NewTensor(c.img))
}

func TestPriorBoxMatchesOpenCV(t *testing.T) {
	for name := range xPriorRefs {
		t.Run(name, func(t *testing.T) {
			got := xPriors(t, name)
			want := xLoad(t, name+"_out")
			if !got.Shape.Equal(want.Shape) {
				t.Fatalf("shape %v, OpenCV %v", got.Shape, want.Shape)
			}
			xNear(t, name, got.Data, want.Data, 1e-6)
		})
	}
}

// xDetRows returns the detection rows sorted by (image, label, -score),
// without OpenCV's all-zero padding rows.
func xDetRows(d []float32) [][7]float32 {
	var rows [][7]float32
	for i := 0; i+7 <= len(d); i += 7 {
		var r [7]float32
		copy(r[:], d[i:i+7])
		if r == [7]float32{} {
			continue
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(a, b int) bool {
		if rows[a][0] != rows[b][0] {
			return rows[a][0] < rows[b][0]
		}
		if rows[a][1] != rows[b][1] {
			return rows[a][1] < rows[b][1]
		}
		return rows[a][2] > rows[b][2]
	})
	return rows
}

func TestDetectionOutputMatchesOpenCV(t *testing.T) {
	cases := []struct {
		name, priors string
		op           *graph.DetectionOutput
	}{
		{"det_a", "prior_a", &graph.DetectionOutput{NumClasses: 4, ShareLocation: true, BackgroundLabelID: 0,
			NMSThreshold: 0.45, NMSTopK: 40, NMSEta: 1, CodeType: graph.CodeCenterSize, KeepTopK: 12,
			ConfidenceThreshold: 0.3, HasConfidenceThreshold: true}},
		{"det_b", "prior_c", &graph.DetectionOutput{NumClasses: 3, ShareLocation: false, BackgroundLabelID: -1,
			NMSThreshold: 0.6, NMSTopK: -1, NMSEta: 1, CodeType: graph.CodeCorner, KeepTopK: 100,
			ConfidenceThreshold: 0.2, HasConfidenceThreshold: true}},
		{"det_c", "prior_c", &graph.DetectionOutput{NumClasses: 3, ShareLocation: true, BackgroundLabelID: 1,
			NMSThreshold: 0.3, NMSTopK: 5, NMSEta: 1, CodeType: graph.CodeCenterSize, KeepTopK: 50,
			ConfidenceThreshold: 0.1, HasConfidenceThreshold: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc, conf := xLoad(t, c.name+"_loc"), xLoad(t, c.name+"_conf")
			got := xRun(t, "DetectionOutput", c.op, nil, loc, conf, xPriors(t, c.priors))
			if len(got.Shape) != 4 || got.Shape[0] != 1 || got.Shape[1] != 1 || got.Shape[3] != 7 || got.Shape.Count() != len(got.Data) {
				t.Fatalf("top shape %v with %d values", got.Shape, len(got.Data))
			}
			// Caffe's order: image, then label, then score (descending).
			rows := xDetRows(got.Data)
			for i := range rows {
				if rows[i] != [7]float32(got.Data[7*i:7*i+7]) {
					t.Fatalf("row %d %v is not in (image, label, score) order", i, got.Data[7*i:7*i+7])
				}
			}
			want := xDetRows(xLoad(t, c.name+"_out").Data)
			if len(rows) != len(want) {
				t.Fatalf("%d detections, OpenCV %d\n got  %v\n want %v", len(rows), len(want), rows, want)
			}
			for i := range rows {
				xNear(t, c.name, rows[i][:], want[i][:], 1e-5)
			}
		})
	}
}
