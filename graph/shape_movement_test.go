package graph

import "testing"

func TestElementwiseShapes(t *testing.T) {
	x := sh(2, 3, 7, 7)
	var cases []shapeCase
	for _, op := range []Op{&ReLU{}, &ELU{}, &Sigmoid{}, &TanH{}, &AbsVal{}, &BNLL{}, &Power{Power: 2},
		&Exp{Base: -1}, &Log{Base: 10}, &Threshold{}, &Swish{}, &Clip{Max: 1}, &Dropout{}, &ReLU6{}} {
		cases = append(cases, shapeCase{name: op.Type(), op: op, in: shapes(x), want: shapes(x)})
	}
	cases = append(cases,
		shapeCase{name: "exp_bad_base", op: &Exp{Base: 0}, in: shapes(x), wantErr: "strictly positive", wantField: "base"},
		shapeCase{name: "log_bad_base", op: &Log{Base: -2}, in: shapes(x), wantErr: "strictly positive", wantField: "base"},
		shapeCase{name: "relu_two_bottoms", op: &ReLU{}, in: shapes(x, x), wantErr: "wrong number of bottoms", wantField: "bottom"},

		shapeCase{name: "eltwise_sum", op: &Eltwise{Operation: EltwiseSum, Coeff: []float32{1, -0.5}}, in: shapes(x, x), want: shapes(x)},
		shapeCase{name: "eltwise_max3", op: &Eltwise{Operation: EltwiseMax}, in: shapes(x, x, x), want: shapes(x)},
		shapeCase{name: "eltwise_mismatch", op: &Eltwise{Operation: EltwiseSum}, in: shapes(x, sh(2, 3, 7, 8)),
			wantErr: "differs", wantField: "bottom[1]"},
		shapeCase{name: "eltwise_coeff_count", op: &Eltwise{Operation: EltwiseSum, Coeff: []float32{1}}, in: shapes(x, x),
			wantErr: "one coefficient per bottom", wantField: "coeff"},
		shapeCase{name: "eltwise_prod_coeff", op: &Eltwise{Operation: EltwiseProd, Coeff: []float32{1, 1}}, in: shapes(x, x),
			wantErr: "only for SUM", wantField: "coeff"},
		shapeCase{name: "eltwise_one_bottom", op: &Eltwise{}, in: shapes(x), wantErr: "wrong number of bottoms", wantField: "bottom"},

		shapeCase{name: "softmax_axis2", op: &Softmax{Axis: 2}, in: shapes(sh(2, 3, 5, 7)), want: shapes(sh(2, 3, 5, 7))},
		shapeCase{name: "softmax_bad_axis", op: &Softmax{Axis: 2}, in: shapes(sh(2, 10)), wantErr: "out of range", wantField: "axis"},
	)
	runShapeCases(t, cases)
}

func TestDataMovementShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		// conformance concat_axis0 / concat_axis1
		{name: "concat_axis0", op: &Concat{Axis: 0}, in: shapes(sh(1, 3, 5, 5), sh(2, 3, 5, 5)), want: shapes(sh(3, 3, 5, 5))},
		{name: "concat_axis1", op: &Concat{Axis: 1}, in: shapes(sh(1, 2, 5, 5), sh(1, 3, 5, 5)), want: shapes(sh(1, 5, 5, 5))},
		{name: "concat_mismatch", op: &Concat{Axis: 1}, in: shapes(sh(1, 2, 5, 5), sh(1, 3, 5, 6)),
			wantErr: "except at concat axis 1", wantField: "bottom[1]"},
		{name: "concat_rank", op: &Concat{Axis: 1}, in: shapes(sh(1, 2, 5, 5), sh(1, 3, 25)),
			wantErr: "same number of axes", wantField: "bottom[1]"},

		// conformance slice_axis1_3tops and slice_axis2_equal
		{name: "slice_points", op: &Slice{Axis: 1, SlicePoints: ints(2, 5)}, nTops: 3,
			in: shapes(sh(1, 7, 5, 5)), want: shapes(sh(1, 2, 5, 5), sh(1, 3, 5, 5), sh(1, 2, 5, 5))},
		{name: "slice_equal", op: &Slice{Axis: 2}, nTops: 3,
			in: shapes(sh(2, 3, 9, 5)), want: shapes(sh(2, 3, 3, 5), sh(2, 3, 3, 5), sh(2, 3, 3, 5))},
		{name: "slice_point_out_of_range", op: &Slice{Axis: 1, SlicePoints: ints(2, 7)}, nTops: 3,
			in: shapes(sh(1, 7, 5, 5)), wantErr: "slice_point[1] = 7 out of range", wantField: "slice_point"},
		{name: "slice_point_zero", op: &Slice{Axis: 1, SlicePoints: ints(0)}, nTops: 2,
			in: shapes(sh(1, 7, 5, 5)), wantErr: "out of range", wantField: "slice_point"},
		{name: "slice_points_decreasing", op: &Slice{Axis: 1, SlicePoints: ints(5, 2)}, nTops: 3,
			in: shapes(sh(1, 7, 5, 5)), wantErr: "increase strictly", wantField: "slice_point"},
		{name: "slice_point_count", op: &Slice{Axis: 1, SlicePoints: ints(2, 5)}, nTops: 2,
			in: shapes(sh(1, 7, 5, 5)), wantErr: "need 3 tops", wantField: "slice_point"},
		{name: "slice_uneven", op: &Slice{Axis: 1}, nTops: 2,
			in: shapes(sh(1, 7, 5, 5)), wantErr: "evenly divide", wantField: "top"},

		{name: "split", op: &Split{}, nTops: 2, in: shapes(sh(1, 3, 5, 5)), want: shapes(sh(1, 3, 5, 5), sh(1, 3, 5, 5))},
		{name: "silence", op: &Silence{}, nTops: -1, in: shapes(sh(1, 3), sh(2)), want: []Shape{}},

		// conformance flatten_default / flatten_axis2
		{name: "flatten_default", op: &Flatten{Axis: 1, EndAxis: -1}, in: shapes(sh(2, 3, 5, 5)), want: shapes(sh(2, 75))},
		{name: "flatten_axis2", op: &Flatten{Axis: 2, EndAxis: -1}, in: shapes(sh(2, 3, 5, 7)), want: shapes(sh(2, 3, 35))},
		{name: "flatten_middle", op: &Flatten{Axis: 1, EndAxis: 2}, in: shapes(sh(2, 3, 5, 7)), want: shapes(sh(2, 15, 7))},
		{name: "flatten_reversed", op: &Flatten{Axis: 3, EndAxis: 1}, in: shapes(sh(2, 3, 5, 7)),
			wantErr: "comes before", wantField: "end_axis"},

		// conformance reshape_0_-1 and reshape_axis_num_axes
		{name: "reshape_0_-1", op: &Reshape{Dims: ints(0, -1, 7), NumAxes: -1}, in: shapes(sh(2, 3, 5, 7)), want: shapes(sh(2, 15, 7))},
		{name: "reshape_axis_num_axes", op: &Reshape{Dims: ints(3, 1, -1), Axis: 1, NumAxes: 1},
			in: shapes(sh(2, 3, 5, 7)), want: shapes(sh(2, 3, 1, 1, 5, 7))},
		{name: "reshape_append_axis", op: &Reshape{Dims: ints(1), Axis: -1, NumAxes: 0}, in: shapes(sh(2, 3)), want: shapes(sh(2, 3, 1))},
		{name: "reshape_flatten", op: &Reshape{Dims: ints(-1), NumAxes: -1}, in: shapes(sh(2, 3, 5)), want: shapes(sh(30))},
		{name: "reshape_two_-1", op: &Reshape{Dims: ints(-1, -1), NumAxes: -1}, in: shapes(sh(2, 3)),
			wantErr: "multiple -1", wantField: "shape"},
		{name: "reshape_count", op: &Reshape{Dims: ints(2, 4), NumAxes: -1}, in: shapes(sh(2, 3)),
			wantErr: "different count", wantField: "shape"},
		{name: "reshape_not_divisible", op: &Reshape{Dims: ints(4, -1), NumAxes: -1}, in: shapes(sh(2, 3, 5, 7)),
			wantErr: "not divisible", wantField: "shape"},
		{name: "reshape_copy_missing", op: &Reshape{Dims: ints(0, 0, 0), NumAxes: -1}, in: shapes(sh(2, 3)),
			wantErr: "no corresponding bottom axis", wantField: "shape"},
		{name: "reshape_bad_dim", op: &Reshape{Dims: ints(-2, 3), NumAxes: -1}, in: shapes(sh(2, 3)),
			wantErr: "dim 0 is -2", wantField: "shape"},
		{name: "reshape_num_axes_past_end", op: &Reshape{Dims: ints(-1), Axis: 1, NumAxes: 3}, in: shapes(sh(2, 3)),
			wantErr: "out of range", wantField: "num_axes"},

		// conformance crop_axis2_offsets
		{name: "crop_offsets", op: &Crop{Axis: 2, Offsets: ints(1, 2)}, in: shapes(sh(1, 3, 9, 9), sh(1, 2, 5, 5)), want: shapes(sh(1, 3, 5, 5))},
		{name: "crop_one_offset", op: &Crop{Axis: 1, Offsets: ints(1)}, in: shapes(sh(1, 3, 9, 9), sh(1, 2, 5, 5)), want: shapes(sh(1, 2, 5, 5))},
		{name: "crop_no_offset_neg_axis", op: &Crop{Axis: -1}, in: shapes(sh(1, 3, 9, 9), sh(1, 2, 5, 5)), want: shapes(sh(1, 3, 9, 5))},
		{name: "crop_out_of_bounds", op: &Crop{Axis: 2, Offsets: ints(1, 5)}, in: shapes(sh(1, 3, 9, 9), sh(1, 2, 5, 5)),
			wantErr: "crop of axis 3 is out of bounds", wantField: "offset"},
		{name: "crop_offset_count", op: &Crop{Axis: 1, Offsets: ints(1, 2)}, in: shapes(sh(1, 3, 9, 9), sh(1, 2, 5, 5)),
			wantErr: "2 offsets given", wantField: "offset"},
		{name: "crop_one_bottom", op: &Crop{Axis: 2}, in: shapes(sh(1, 3, 9, 9)), wantErr: "wrong number of bottoms", wantField: "bottom"},

		// conformance tile_axis1_x3
		{name: "tile", op: &Tile{Axis: 1, Tiles: 3}, in: shapes(sh(1, 2, 5, 5)), want: shapes(sh(1, 6, 5, 5))},
		{name: "tile_zero", op: &Tile{Axis: 1, Tiles: 0}, in: shapes(sh(1, 2, 5, 5)), wantErr: "positive", wantField: "tiles"},

		// conformance reduction_all_ops: axis 1 -> [2], axis 0 -> scalar
		{name: "reduction_axis1", op: &Reduction{Operation: ReduceSum, Axis: 1}, in: shapes(sh(2, 3, 5, 5)), want: shapes(sh(2))},
		{name: "reduction_axis0", op: &Reduction{Operation: ReduceMean, Axis: 0}, in: shapes(sh(2, 3, 5, 5)), want: shapes(sh())},
		{name: "reduction_axis_neg", op: &Reduction{Operation: ReduceAsum, Axis: -1}, in: shapes(sh(2, 3, 5, 5)), want: shapes(sh(2, 3, 5))},
		{name: "reduction_scalar_bottom", op: &Reduction{Operation: ReduceSum}, in: shapes(sh()), wantErr: "out of range", wantField: "axis"},

		// conformance argmax_axis1_top2, argmax_axis1_maxval, argmax_top2_maxval
		{name: "argmax_axis1_top2", op: &ArgMax{TopK: 2, HasAxis: true, Axis: 1}, in: shapes(sh(2, 6, 5, 5)), want: shapes(sh(2, 2, 5, 5))},
		{name: "argmax_axis1_maxval", op: &ArgMax{TopK: 1, OutMaxVal: true, HasAxis: true, Axis: 1}, in: shapes(sh(2, 6, 5, 5)), want: shapes(sh(2, 1, 5, 5))},
		{name: "argmax_top2_maxval", op: &ArgMax{TopK: 2, OutMaxVal: true}, in: shapes(sh(2, 3, 2, 2)), want: shapes(sh(2, 2, 2, 1))},
		// without axis the top has at least 3 axes: [N, 1, top_k]
		{name: "argmax_2d", op: &ArgMax{TopK: 1}, in: shapes(sh(2, 10)), want: shapes(sh(2, 1, 1))},
		{name: "argmax_5d", op: &ArgMax{TopK: 3}, in: shapes(sh(2, 3, 2, 2, 2)), want: shapes(sh(2, 1, 3, 1, 1))},
		{name: "argmax_top_k_too_large", op: &ArgMax{TopK: 13}, in: shapes(sh(2, 3, 2, 2)), wantErr: "exceeds", wantField: "top_k"},
		{name: "argmax_axis_top_k_too_large", op: &ArgMax{TopK: 7, HasAxis: true, Axis: 1}, in: shapes(sh(2, 6, 5, 5)), wantErr: "exceeds", wantField: "top_k"},

		{name: "batch_reindex", op: &BatchReindex{}, in: shapes(sh(4, 3, 5), sh(6)), want: shapes(sh(6, 3, 5))},
		{name: "batch_reindex_2d_index", op: &BatchReindex{}, in: shapes(sh(4, 3, 5), sh(6, 1)), wantErr: "exactly one axis", wantField: "bottom[1]"},
		{name: "filter", op: &Filter{}, nTops: 2, in: shapes(sh(4, 3), sh(4, 2, 2), sh(4, 1)), want: shapes(sh(4, 3), sh(4, 2, 2))},
		{name: "filter_mismatch", op: &Filter{}, nTops: 1, in: shapes(sh(5, 3), sh(4)), wantErr: "selector's first dimension", wantField: "bottom[0]"},

		{name: "permute_ssd", op: &Permute{Order: ints(0, 2, 3, 1)}, in: shapes(sh(1, 24, 19, 19)), want: shapes(sh(1, 19, 19, 24))},
		{name: "permute_partial", op: &Permute{Order: ints(0, 2)}, in: shapes(sh(1, 2, 3, 4)), want: shapes(sh(1, 3, 2, 4))},
		{name: "permute_duplicate", op: &Permute{Order: ints(0, 2, 2)}, in: shapes(sh(1, 2, 3, 4)), wantErr: "listed twice", wantField: "order"},
		{name: "permute_out_of_range", op: &Permute{Order: ints(0, 4)}, in: shapes(sh(1, 2, 3, 4)), wantErr: "out of range", wantField: "order"},

		{name: "shuffle", op: &ShuffleChannel{Group: 3}, in: shapes(sh(1, 6, 4, 4)), want: shapes(sh(1, 6, 4, 4))},
		{name: "shuffle_group", op: &ShuffleChannel{Group: 4}, in: shapes(sh(1, 6, 4, 4)), wantErr: "does not divide", wantField: "group"},
	})
}
