package exec

import (
	"math"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

func TestEmbed(t *testing.T) {
	w := xT(graph.Shape{3, 2}, 1, 2, 3, 4, 5, 6)
	b := xT(graph.Shape{2}, 10, 20)
	x := xT(graph.Shape{3}, 2, 0, 2)
	got := xRun(t, "Embed", &graph.Embed{InputDim: 3, NumOutput: 2, BiasTerm: true}, []*graph.Tensor{w, b}, x)
	if !got.Shape.Equal(graph.Shape{3, 2}) {
		t.Fatalf("shape %v", got.Shape)
	}
	xNear(t, "bias", got.Data, []float32{15, 26, 11, 22, 15, 26}, 0)

	x = xT(graph.Shape{1, 2}, 1, 0)
	got = xRun(t, "Embed", &graph.Embed{InputDim: 3, NumOutput: 2}, []*graph.Tensor{w}, x)
	if !got.Shape.Equal(graph.Shape{1, 2, 2}) {
		t.Fatalf("shape %v", got.Shape)
	}
	xNear(t, "no bias", got.Data, []float32{3, 4, 1, 2}, 0)

	op := &graph.Embed{InputDim: 3, NumOutput: 2}
	for _, v := range []float32{3, -1, 1.5, float32(math.NaN()), float32(math.Inf(1))} {
		xWantErr(t, "index", "Embed", op, []*graph.Tensor{w}, []*graph.Tensor{xT(graph.Shape{2}, 0, v)}, "not an integer in [0, 3)")
	}
	xWantErr(t, "weight size", "Embed", op, []*graph.Tensor{b}, []*graph.Tensor{x}, "blobs[0]")
	xWantErr(t, "missing bias", "Embed", &graph.Embed{InputDim: 3, NumOutput: 2, BiasTerm: true}, []*graph.Tensor{w}, []*graph.Tensor{x}, "blobs[1]")
}
