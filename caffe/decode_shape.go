package caffe

import (
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// Shape and data movement layers, and the training-only layers.

func decodeSoftmax(d *layerDecoder) (graph.Op, error) {
	return &graph.Softmax{Axis: int(d.l.GetSoftmaxParam().GetAxis())}, nil
}

// decodeConcat: the legacy concat_dim (non-negative) and axis exclude each
// other.
func decodeConcat(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetConcatParam()
	if p == nil {
		return &graph.Concat{Axis: 1}, nil
	}
	if p.Axis != nil && p.ConcatDim != nil {
		return nil, d.fail("concat_param.concat_dim", "either axis or concat_dim should be specified; not both")
	}
	if p.ConcatDim != nil {
		return &graph.Concat{Axis: int(p.GetConcatDim())}, nil
	}
	return &graph.Concat{Axis: int(p.GetAxis())}, nil
}

// decodeSlice: like Concat, with the legacy slice_dim.
func decodeSlice(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetSliceParam()
	o := &graph.Slice{Axis: int(p.GetAxis()), SlicePoints: ints32(p.GetSlicePoint())}
	if p != nil && p.SliceDim != nil {
		if p.Axis != nil {
			return nil, d.fail("slice_param.slice_dim", "either axis or slice_dim should be specified; not both")
		}
		o.Axis = int(p.GetSliceDim())
	}
	return o, nil
}

func decodeFlatten(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetFlattenParam()
	return &graph.Flatten{Axis: int(p.GetAxis()), EndAxis: int(p.GetEndAxis())}, nil
}

// decodeReshape: at most one dim may be -1 (ReshapeLayer::LayerSetUp).
func decodeReshape(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetReshapeParam()
	o := &graph.Reshape{Axis: int(p.GetAxis()), NumAxes: int(p.GetNumAxes())}
	inferred := -1
	for i, v := range p.GetShape().GetDim() {
		if v == -1 {
			if inferred >= 0 {
				return nil, d.fail("reshape_param.shape", "contains multiple -1 dims (%d and %d); at most one may be inferred", inferred, i)
			}
			inferred = i
		}
		o.Dims = append(o.Dims, int(v))
	}
	if o.Dims == nil {
		o.Dims = []int{}
	}
	return o, nil
}

func decodeCrop(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetCropParam()
	return &graph.Crop{Axis: int(p.GetAxis()), Offsets: ints32(p.GetOffset())}, nil
}

// decodeTile: tiles is required and positive.
func decodeTile(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetTileParam()
	if p == nil || p.Tiles == nil {
		return nil, d.fail("tile_param.tiles", "number of tiles must be specified")
	}
	if p.GetTiles() <= 0 {
		return nil, d.fail("tile_param.tiles", "number of tiles must be positive, got %d", p.GetTiles())
	}
	return &graph.Tile{Axis: int(p.GetAxis()), Tiles: int(p.GetTiles())}, nil
}

func decodeReduction(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetReductionParam()
	o := &graph.Reduction{Axis: int(p.GetAxis()), Coeff: p.GetCoeff()}
	switch p.GetOperation() {
	case caffepb.ReductionParameter_ASUM:
		o.Operation = graph.ReduceAsum
	case caffepb.ReductionParameter_SUMSQ:
		o.Operation = graph.ReduceSumSq
	case caffepb.ReductionParameter_MEAN:
		o.Operation = graph.ReduceMean
	default:
		o.Operation = graph.ReduceSum
	}
	return o, nil
}

// decodeArgMax: top_k must be at least 1; whether axis is given changes the
// output shape, so its presence is kept.
func decodeArgMax(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetArgmaxParam()
	o := &graph.ArgMax{
		OutMaxVal: p.GetOutMaxVal(),
		TopK:      int(p.GetTopK()),
		HasAxis:   p != nil && p.Axis != nil,
		Axis:      int(p.GetAxis()),
	}
	if o.TopK < 1 {
		return nil, d.fail("argmax_param.top_k", "must be at least 1, got %d", o.TopK)
	}
	return o, nil
}

func decodeAccuracy(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetAccuracyParam()
	o := &graph.Accuracy{TopK: int(p.GetTopK()), Axis: int(p.GetAxis())}
	if p != nil && p.IgnoreLabel != nil {
		v := int(p.GetIgnoreLabel())
		o.IgnoreLabel = &v
	}
	return o, nil
}

func decodeRecurrent(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetRecurrentParam()
	return &graph.Recurrent{
		Kind:         d.typ,
		NumOutput:    int(p.GetNumOutput()),
		ExposeHidden: p.GetExposeHidden(),
		WeightFiller: filler(p.GetWeightFiller(), graph.DefaultFiller()),
		BiasFiller:   filler(p.GetBiasFiller(), graph.DefaultFiller()),
	}, nil
}
