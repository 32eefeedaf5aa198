package graph

import "testing"

func TestPriorBoxExpansion(t *testing.T) {
	cases := []struct {
		name   string
		p      PriorBox
		ars    []float32
		priors int
	}{
		// SSD300 conv4_3: ratios 1, 2, 1/2 and one max size -> 4 priors
		{"ssd_conv4_3", PriorBox{MinSizes: []float32{30}, MaxSizes: []float32{60}, AspectRatios: []float32{2}, Flip: true},
			[]float32{1, 2, 0.5}, 4},
		// fc7: 1, 2, 1/2, 3, 1/3 plus max size -> 6
		{"ssd_fc7", PriorBox{MinSizes: []float32{60}, MaxSizes: []float32{111}, AspectRatios: []float32{2, 3}, Flip: true},
			[]float32{1, 2, 0.5, 3, float32(1.0 / 3)}, 6},
		// no flip, two min sizes: (1 + 1) * 2 = 4
		{"no_flip_two_min", PriorBox{MinSizes: []float32{30, 40}, AspectRatios: []float32{2}},
			[]float32{1, 2}, 4},
		// 1 is implicit; 0.5 repeats the flipped 2; 2.0000001 is within 1e-6 of 2
		{"dedup", PriorBox{MinSizes: []float32{30}, AspectRatios: []float32{1, 2, 2.0000001, 0.5}, Flip: true},
			[]float32{1, 2, 0.5}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.p.ExpandedAspectRatios()
			if len(got) != len(c.ars) {
				t.Fatalf("ExpandedAspectRatios = %v, want %v", got, c.ars)
			}
			for i := range got {
				if got[i] != c.ars[i] {
					t.Fatalf("ExpandedAspectRatios = %v, want %v", got, c.ars)
				}
			}
			if n := c.p.NumPriors(); n != c.priors {
				t.Fatalf("NumPriors = %d, want %d", n, c.priors)
			}
		})
	}
}

func TestForkShapes(t *testing.T) {
	ssd := &PriorBox{MinSizes: []float32{30}, MaxSizes: []float32{60}, AspectRatios: []float32{2}, Flip: true, Variance: []float32{0.1, 0.1, 0.2, 0.2}}
	det := &DetectionOutput{NumClasses: 21, ShareLocation: true}
	detNoShare := &DetectionOutput{NumClasses: 3}
	runShapeCases(t, []shapeCase{
		// 38*38 cells * 4 priors * 4 coordinates = 23104
		{name: "priorbox", op: ssd, in: shapes(sh(1, 512, 38, 38), sh(1, 3, 300, 300)), want: shapes(sh(1, 2, 23104))},
		{name: "priorbox_no_min", op: &PriorBox{}, in: shapes(sh(1, 512, 38, 38), sh(1, 3, 300, 300)), wantErr: "must be specified", wantField: "min_size"},
		{name: "priorbox_max_not_above_min", op: &PriorBox{MinSizes: []float32{30}, MaxSizes: []float32{20}},
			in: shapes(sh(1, 512, 38, 38), sh(1, 3, 300, 300)), wantErr: "greater than min_size", wantField: "max_size"},
		{name: "priorbox_variance", op: &PriorBox{MinSizes: []float32{30}, Variance: []float32{0.1, 0.2}},
			in: shapes(sh(1, 512, 38, 38), sh(1, 3, 300, 300)), wantErr: "1 or 4", wantField: "variance"},

		// 10 priors: loc 1x40, conf 1x210, priors 1x2x40
		{name: "detection_output", op: det, in: shapes(sh(1, 40), sh(1, 210), sh(1, 2, 40)), want: shapes(sh(1, 1, 1, 7))},
		{name: "detection_output_no_share", op: detNoShare, in: shapes(sh(2, 120), sh(2, 30), sh(1, 2, 40)), want: shapes(sh(1, 1, 1, 7))},
		{name: "detection_output_conf_mismatch", op: det, in: shapes(sh(1, 40), sh(1, 200), sh(1, 2, 40)),
			wantErr: "confidence predictions", wantField: "bottom[1]"},
		{name: "detection_output_loc_mismatch", op: det, in: shapes(sh(1, 44), sh(1, 210), sh(1, 2, 40)),
			wantErr: "location predictions", wantField: "bottom[0]"},

		// zoom: 5 + 4*1 = 9, 7 + 6*1 = 13
		{name: "interp_zoom", op: &Interp{ZoomFactor: 2}, in: shapes(sh(1, 3, 5, 7)), want: shapes(sh(1, 3, 9, 13))},
		// shrink: (5-1)/2+1 = 3, (7-1)/2+1 = 4
		{name: "interp_shrink", op: &Interp{ShrinkFactor: 2}, in: shapes(sh(1, 3, 5, 7)), want: shapes(sh(1, 3, 3, 4))},
		{name: "interp_explicit", op: &Interp{Height: 33, Width: 65}, in: shapes(sh(1, 3, 5, 7)), want: shapes(sh(1, 3, 33, 65))},
		// shrink then zoom: 3 -> 3+2*3 = 9, 4 -> 4+3*3 = 13
		{name: "interp_shrink_zoom", op: &Interp{ShrinkFactor: 2, ZoomFactor: 4}, in: shapes(sh(1, 3, 5, 7)), want: shapes(sh(1, 3, 9, 13))},
		// cropping first: 5-2 = 3 -> 3+2 = 5, 7-2 = 5 -> 9
		{name: "interp_pad", op: &Interp{ZoomFactor: 2, PadBeg: -1, PadEnd: -1}, in: shapes(sh(1, 3, 5, 7)), want: shapes(sh(1, 3, 5, 9))},
		{name: "interp_positive_pad", op: &Interp{ZoomFactor: 2, PadBeg: 1}, in: shapes(sh(1, 3, 5, 7)), wantErr: "non-positive", wantField: "pad_beg"},
		{name: "interp_unspecified", op: &Interp{}, in: shapes(sh(1, 3, 5, 7)), wantErr: "needs zoom_factor", wantField: "height"},
		{name: "interp_second_bottom", op: &Interp{}, in: shapes(sh(1, 3, 5, 7), sh(1, 8, 20, 28)), want: shapes(sh(1, 3, 20, 28))},
		{name: "interp_second_bottom_ambiguous", op: &Interp{ZoomFactor: 2}, in: shapes(sh(1, 3, 5, 7), sh(1, 8, 20, 28)),
			wantErr: "ambiguous", wantField: "bottom[1]"},

		{name: "upsample_segnet", op: &Upsample{Scale: 2}, in: shapes(sh(1, 64, 15, 20), sh(1, 64, 15, 20)), want: shapes(sh(1, 64, 30, 40))},
		{name: "upsample_segnet_explicit", op: &Upsample{Scale: 2, UpsampleH: 45, UpsampleW: 60}, in: shapes(sh(1, 64, 23, 30), sh(1, 64, 23, 30)),
			want: shapes(sh(1, 64, 45, 60))},
		{name: "upsample_scale_hw", op: &Upsample{ScaleH: 2, ScaleW: 3}, in: shapes(sh(1, 8, 5, 5)), want: shapes(sh(1, 8, 10, 15))},
		{name: "upsample_mask_mismatch", op: &Upsample{Scale: 2}, in: shapes(sh(1, 64, 15, 20), sh(1, 64, 15, 21)),
			wantErr: "mask shape", wantField: "bottom[1]"},
		{name: "upsample_segnet_scale1", op: &Upsample{Scale: 1}, in: shapes(sh(1, 64, 15, 20), sh(1, 64, 15, 20)),
			wantErr: "at least 2", wantField: "scale"},
	})
}

func TestTrainLayerShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{name: "softmax_loss", op: &Loss{Kind: "SoftmaxWithLoss"}, in: shapes(sh(2, 10), sh(2)), want: shapes(sh())},
		{name: "softmax_loss_prob", op: &Loss{Kind: "SoftmaxWithLoss"}, nTops: 2, in: shapes(sh(2, 10), sh(2)), want: shapes(sh(), sh(2, 10))},
		{name: "loss_no_top", op: &Loss{Kind: "EuclideanLoss"}, nTops: -1, in: shapes(sh(2, 10), sh(2, 10)), want: []Shape{}},
		{name: "euclidean_mismatch", op: &Loss{Kind: "EuclideanLoss"}, in: shapes(sh(2, 10), sh(2, 9)), wantErr: "same dimension", wantField: "bottom[1]"},
		{name: "loss_first_dim", op: &Loss{Kind: "SoftmaxWithLoss"}, in: shapes(sh(2, 10), sh(3)), wantErr: "same first dimension", wantField: "bottom[1]"},
		{name: "euclidean_second_top", op: &Loss{Kind: "EuclideanLoss"}, nTops: 2, in: shapes(sh(2, 10), sh(2, 10)), wantErr: "wrong number of tops", wantField: "top"},

		{name: "accuracy", op: &Accuracy{TopK: 5, Axis: 1}, nTops: 2, in: shapes(sh(2, 10), sh(2)), want: shapes(sh(), sh(10))},
		{name: "accuracy_labels", op: &Accuracy{TopK: 1, Axis: 1}, in: shapes(sh(2, 10), sh(3)), wantErr: "number of labels", wantField: "bottom[1]"},
		{name: "accuracy_top_k", op: &Accuracy{TopK: 11, Axis: 1}, in: shapes(sh(2, 10), sh(2)), wantErr: "number of classes 10", wantField: "top_k"},

		{name: "hdf5_output", op: &HDF5Output{}, nTops: -1, in: shapes(sh(2, 10), sh(2)), want: []Shape{}},

		// LSTM: x [T=4, N=2, 10], cont [4, 2]; gates 4*8 = 32
		{name: "lstm", op: &Recurrent{Kind: "LSTM", NumOutput: 8}, in: shapes(sh(4, 2, 10), sh(4, 2)),
			want: shapes(sh(4, 2, 8)), params: shapes(sh(32, 10), sh(32), sh(32, 8))},
		{name: "lstm_expose_hidden", op: &Recurrent{Kind: "LSTM", NumOutput: 8, ExposeHidden: true}, nTops: 3,
			in:   shapes(sh(4, 2, 10), sh(4, 2), sh(1, 2, 8), sh(1, 2, 8)),
			want: shapes(sh(4, 2, 8), sh(1, 2, 8), sh(1, 2, 8)), params: shapes(sh(32, 10), sh(32), sh(32, 8))},
		// RNN with a static input [N=2, 6]
		{name: "rnn_static", op: &Recurrent{Kind: "RNN", NumOutput: 8}, in: shapes(sh(4, 2, 10), sh(4, 2), sh(2, 6)),
			want: shapes(sh(4, 2, 8)), params: shapes(sh(8, 10), sh(8), sh(8, 6), sh(8, 8), sh(8, 8), sh(8))},
		{name: "rnn_cont_mismatch", op: &Recurrent{Kind: "RNN", NumOutput: 8}, in: shapes(sh(4, 2, 10), sh(4, 3)),
			wantErr: "#timesteps, #streams", wantField: "bottom[1]"},
		{name: "lstm_hidden_shape", op: &Recurrent{Kind: "LSTM", NumOutput: 8, ExposeHidden: true}, nTops: 3,
			in: shapes(sh(4, 2, 10), sh(4, 2), sh(1, 2, 8), sh(1, 2, 7)), wantErr: "hidden state shape", wantField: "bottom[3]"},

		{name: "lstm_unit", op: &LSTMUnit{}, nTops: 2, in: shapes(sh(1, 2, 8), sh(1, 2, 32), sh(1, 2)), want: shapes(sh(1, 2, 8), sh(1, 2, 8))},
		{name: "lstm_unit_gates", op: &LSTMUnit{}, nTops: 2, in: shapes(sh(1, 2, 8), sh(1, 2, 30), sh(1, 2)), wantErr: "4 * 8", wantField: "bottom[1]"},
	})
}

func TestSourceShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{name: "input_once_for_all_tops", op: &Input{Shapes: []Shape{{1, 3, 5, 5}}}, nTops: 2, in: nil,
			want: shapes(sh(1, 3, 5, 5), sh(1, 3, 5, 5))},
		{name: "input_per_top", op: &Input{Shapes: []Shape{{1, 3}, {2}}}, nTops: 2, in: nil, want: shapes(sh(1, 3), sh(2))},
		{name: "input_shape_count", op: &Input{Shapes: []Shape{{1}, {2}}}, nTops: 3, in: nil, wantErr: "once per top", wantField: "input_param.shape"},
		{name: "input_negative", op: &Input{Shapes: []Shape{{1, -3}}}, in: nil, wantErr: "negative", wantField: "input_param.shape"},
		{name: "input_unknown", op: &Input{}, in: nil, wantErr: "unknown input shape; pass --input", wantField: "top[0]"},
		{name: "data_known", op: &DataSource{Kind: "Data", Shapes: []Shape{{64, 3, 28, 28}, {64}}}, nTops: 2, in: nil,
			want: shapes(sh(64, 3, 28, 28), sh(64))},
		{name: "data_unknown_dim", op: &DataSource{Kind: "Data", Shapes: []Shape{{64, 0, 0, 0}}}, in: nil,
			wantErr: "unknown input shape; pass --input", wantField: "top[0]"},
		{name: "parameter", op: &Parameter{Shape: Shape{3, 4}}, in: nil, want: shapes(sh(3, 4)), params: shapes(sh(3, 4))},
		{name: "unknown", op: &Unknown{Kind: "FancyLayer"}, in: shapes(sh(1)), wantErr: `unknown layer type "FancyLayer"`},
	})
}
