package exec

import (
	"github.com/caffetool/caffetool/graph"
)

// This file holds the layers that only move data. Net does not run the
// copying ones (copyLayer): it makes each top a view of its bottom's buffer
// (plan.go); called directly, they copy.

// copyLayer copies bottom i into top i (Flatten, Reshape, Dropout at test
// time) or bottom 0 into every top (Split).
type copyLayer struct {
	ioSizes
	fanOut bool
}

func (l *copyLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	for i, t := range tops {
		src := bottoms[0]
		if !l.fanOut {
			src = bottoms[i]
		}
		copy(t.Data, src.Data)
	}
	return nil
}

// newReshaping serves Flatten and Reshape: the data is unchanged, only the
// shape differs, so the counts must agree.
func newReshaping(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if err := coreArity(n, in, out, 1, 1, 1, 1); err != nil {
		return nil, err
	}
	if in[0].Count() != out[0].Count() {
		return nil, coreErr(n, "top[0]", "inferred shape %v has a different count than bottom %v", out[0], in[0])
	}
	return &copyLayer{ioSizes: newIOSizes(in, out)}, nil
}

// newDropout: in the TEST phase Caffe's Dropout copies its bottom, and
// when scale_train is false (the training pass did not scale up the kept
// units) it scales the copy by 1/scale = 1-ratio instead. The factor is
// rounded as Caffe does: scale_ = 1/(1-ratio) held in float32, then
// 1/scale_ converted to float32.
func newDropout(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Dropout](n)
	if err != nil {
		return nil, err
	}
	if err := coreArity(n, in, out, 1, 1, 1, 1); err != nil {
		return nil, err
	}
	if !in[0].Equal(out[0]) {
		return nil, coreErr(n, "top[0]", "inferred shape %v differs from bottom %v", out[0], in[0])
	}
	if !op.ScaleTrain {
		scale := float32(1 / (1 - float64(op.Ratio)))
		return &dropoutScaleLayer{ioSizes: newIOSizes(in, out), scale: float32(1 / float64(scale))}, nil
	}
	return &copyLayer{ioSizes: newIOSizes(in, out)}, nil
}

// dropoutScaleLayer multiplies by a constant.
type dropoutScaleLayer struct {
	ioSizes
	scale float32
}

func (l *dropoutScaleLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	for i, v := range bottoms[0].Data {
		tops[0].Data[i] = v * l.scale
	}
	return nil
}

func newSplit(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if err := coreArity(n, in, out, 1, 1, 1, -1); err != nil {
		return nil, err
	}
	for i, s := range out {
		if !s.Equal(in[0]) {
			return nil, coreErr(n, "top", "inferred shape %v of top[%d] differs from bottom %v", s, i, in[0])
		}
	}
	return &copyLayer{ioSizes: newIOSizes(in, out), fanOut: true}, nil
}

// noopLayer is Silence, and the layers whose tops are filled from outside
// (Input, data sources: Net.Forward copies the caller's arrays in).
type noopLayer struct{}

func (noopLayer) Forward(_, _ []*graph.Tensor) error { return nil }

func newSilence(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if len(out) != 0 {
		return nil, coreErr(n, "top", "Silence has no tops, got %d", len(out))
	}
	return noopLayer{}, nil
}

func newInput(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if len(in) != 0 {
		return nil, coreErr(n, "bottom", "an input layer takes no bottoms, got %d", len(in))
	}
	return noopLayer{}, nil
}

// newDataSource accepts a data layer as an input: its tops are supplied by
// the caller. A Python layer with bottoms computes its tops with user code
// and cannot be run.
func newDataSource(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if len(in) != 0 {
		return nil, &UnsupportedError{Layer: n.Name, Type: n.Type, Reason: "a layer with bottoms whose outputs are computed by user Python code"}
	}
	return noopLayer{}, nil
}

// parameterLayer is Caffe's Parameter layer: its top is its param blob.
type parameterLayer struct {
	ioSizes
	data []float32
}

func newParameter(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if err := coreArity(n, in, out, 0, 0, 1, 1); err != nil {
		return nil, err
	}
	data, err := coreParam(n, 0, out[0].Count())
	if err != nil {
		return nil, err
	}
	return &parameterLayer{ioSizes: newIOSizes(in, out), data: data}, nil
}

func (l *parameterLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	copy(tops[0].Data, l.data)
	return nil
}
