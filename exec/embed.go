package exec

import (
	"fmt"
	"math"

	"github.com/caffetool/caffetool/graph"
)

// embedLayer looks up row x of a [input_dim, num_output] weight table for
// every bottom value x (plus a bias row). Caffe only DCHECKs the index;
// here a value that is not an integer in [0, input_dim) is an error.
type embedLayer struct {
	io       opIO
	weight   []float32
	bias     []float32
	inputDim int
	width    int
}

func newEmbed(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Embed](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 1, 1); err != nil {
		return nil, err
	}
	if op.InputDim <= 0 || op.NumOutput <= 0 {
		return nil, opErr(n, "embed_param", "input_dim %d and num_output %d must be positive", op.InputDim, op.NumOutput)
	}
	if out[0].Count() != in[0].Count()*op.NumOutput {
		return nil, opErr(n, "top[0]", "shape %v is not bottom shape %v times num_output %d", out[0], in[0], op.NumOutput)
	}
	l := &embedLayer{io: newOpIO(n, in, out), inputDim: op.InputDim, width: op.NumOutput}
	if l.weight, err = opParam(n, 0, op.InputDim*op.NumOutput); err != nil {
		return nil, err
	}
	want := 1
	if op.BiasTerm {
		want = 2
		if l.bias, err = opParam(n, 1, op.NumOutput); err != nil {
			return nil, err
		}
	}
	if len(n.Params) != want {
		return nil, opErr(n, "blobs", "has %d parameter blobs, want %d", len(n.Params), want)
	}
	return l, nil
}

func (l *embedLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	dst := tops[0].Data
	for i, x := range bottoms[0].Data {
		if x != float32(math.Trunc(float64(x))) || x < 0 || x >= float32(l.inputDim) {
			return &graph.LayerError{Layer: l.io.name, Type: l.io.typ, Field: "bottom[0]",
				Err: fmt.Errorf("value %v at index %d is not an integer in [0, %d)", x, i, l.inputDim)}
		}
		k := int(x)
		row := dst[i*l.width : (i+1)*l.width]
		copy(row, l.weight[k*l.width:(k+1)*l.width])
		if l.bias != nil {
			for j, b := range l.bias {
				row[j] += b
			}
		}
	}
	return nil
}
