package graph

import "testing"

func TestNormalizationShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		{name: "batchnorm_4d", op: &BatchNorm{}, in: shapes(sh(2, 4, 5, 5)), want: shapes(sh(2, 4, 5, 5)),
			params: shapes(sh(4), sh(4), sh(1))},
		// conformance batchnorm_2d_input
		{name: "batchnorm_2d", op: &BatchNorm{}, in: shapes(sh(2, 6)), want: shapes(sh(2, 6)),
			params: shapes(sh(6), sh(6), sh(1))},
		{name: "batchnorm_1d", op: &BatchNorm{}, in: shapes(sh(6)), wantErr: "at least 2 axes", wantField: "bottom[0]"},

		// conformance scale_no_bias / scale_bias_term: gamma [C] (+ beta [C])
		{name: "scale_no_bias", op: &Scale{Axis: 1, NumAxes: 1}, in: shapes(sh(2, 3, 5, 5)),
			want: shapes(sh(2, 3, 5, 5)), params: shapes(sh(3))},
		{name: "scale_bias", op: &Scale{Axis: 1, NumAxes: 1, BiasTerm: true}, in: shapes(sh(2, 3, 5, 5)),
			want: shapes(sh(2, 3, 5, 5)), params: shapes(sh(3), sh(3))},
		// conformance scale_num_axes2: gamma [C, H]
		{name: "scale_num_axes2", op: &Scale{Axis: 1, NumAxes: 2}, in: shapes(sh(2, 3, 5, 7)),
			want: shapes(sh(2, 3, 5, 7)), params: shapes(sh(3, 5))},
		{name: "scale_to_end", op: &Scale{Axis: 1, NumAxes: -1, BiasTerm: true}, in: shapes(sh(2, 3, 5, 7)),
			want: shapes(sh(2, 3, 5, 7)), params: shapes(sh(3, 5, 7), sh(3, 5, 7))},
		{name: "scale_scalar", op: &Scale{Axis: 1, NumAxes: 0}, in: shapes(sh(2, 3)),
			want: shapes(sh(2, 3)), params: shapes(sh())},
		// conformance scale_two_bottoms: s [2, 3] at axis 0, no params
		{name: "scale_two_bottoms", op: &Scale{Axis: 0, NumAxes: 1}, in: shapes(sh(2, 3, 5, 7), sh(2, 3)),
			want: shapes(sh(2, 3, 5, 7)), params: []Shape{}},
		// conformance scale_two_bottoms_bias: only the bias [3] is a param
		{name: "scale_two_bottoms_bias", op: &Scale{Axis: 1, NumAxes: 1, BiasTerm: true}, in: shapes(sh(2, 3, 5, 5), sh(3)),
			want: shapes(sh(2, 3, 5, 5)), params: shapes(sh(3))},
		{name: "scale_second_bottom_mismatch", op: &Scale{Axis: 1, NumAxes: 1}, in: shapes(sh(2, 3, 5, 5), sh(4)),
			wantErr: "does not match", wantField: "bottom[1]"},
		{name: "scale_num_axes_past_end", op: &Scale{Axis: 2, NumAxes: 3}, in: shapes(sh(2, 3, 5, 5)),
			wantErr: "extends past", wantField: "num_axes"},
		// conformance bias_one_bottom / bias_two_bottoms
		{name: "bias_one_bottom", op: &Bias{Axis: 1, NumAxes: 1}, in: shapes(sh(2, 3, 5, 5)),
			want: shapes(sh(2, 3, 5, 5)), params: shapes(sh(3))},
		{name: "bias_two_bottoms", op: &Bias{Axis: 1, NumAxes: 1}, in: shapes(sh(2, 3, 5, 7), sh(3, 5)),
			want: shapes(sh(2, 3, 5, 7)), params: []Shape{}},
		{name: "bias_two_bottoms_mismatch", op: &Bias{Axis: 1, NumAxes: 1}, in: shapes(sh(2, 3, 5, 7), sh(3, 7)),
			wantErr: "does not match", wantField: "bottom[1]"},

		// conformance prelu_per_channel / prelu_channel_shared ([] slope)
		{name: "prelu", op: &PReLU{}, in: shapes(sh(2, 4, 5, 5)), want: shapes(sh(2, 4, 5, 5)), params: shapes(sh(4))},
		{name: "prelu_shared", op: &PReLU{ChannelShared: true}, in: shapes(sh(2, 4, 5, 5)), want: shapes(sh(2, 4, 5, 5)), params: shapes(sh())},
		{name: "prelu_1d", op: &PReLU{}, in: shapes(sh(4)), wantErr: "at least 2 axes", wantField: "bottom[0]"},
		{name: "normalize", op: &Normalize{}, in: shapes(sh(1, 512, 38, 38)), want: shapes(sh(1, 512, 38, 38)), params: shapes(sh(512))},
		{name: "normalize_shared", op: &Normalize{ChannelShared: true}, in: shapes(sh(1, 512, 38, 38)), want: shapes(sh(1, 512, 38, 38)), params: shapes(sh(1))},

		{name: "lrn", op: &LRN{LocalSize: 5}, in: shapes(sh(2, 7, 5, 5)), want: shapes(sh(2, 7, 5, 5))},
		{name: "lrn_even", op: &LRN{LocalSize: 4}, in: shapes(sh(2, 7, 5, 5)), wantErr: "odd", wantField: "local_size"},
		{name: "lrn_3d", op: &LRN{LocalSize: 5}, in: shapes(sh(7, 5, 5)), wantErr: "4 axes", wantField: "bottom[0]"},
		{name: "mvn", op: &MVN{}, in: shapes(sh(2, 3, 5, 5)), want: shapes(sh(2, 3, 5, 5))},
		{name: "mvn_5d", op: &MVN{}, in: shapes(sh(1, 2, 3, 5, 5)), wantErr: "at most 4 axes", wantField: "bottom[0]"},
	})
}

func TestBatchNormParamsOneAxis(t *testing.T) {
	// LayerSetUp (which creates the params) takes C = 1 for a 1-axis bottom.
	ps, err := (&BatchNorm{}).ParamShapes(shapes(sh(6)))
	if err != nil || !shapesEqual(ps, shapes(sh(1), sh(1), sh(1))) {
		t.Fatalf("ParamShapes = %v, %v; want [1] [1] [1]", ps, err)
	}
}

func TestFillersFollowParams(t *testing.T) {
	w := Filler{Type: "gaussian", Std: 0.01}
	b := Filler{Type: "constant", Value: 0.1}
	one := Filler{Type: "constant", Value: 1}
	s := &Scale{Axis: 1, NumAxes: 1, Filler: one, BiasTerm: true, BiasFiller: b}
	if got := s.fillersFor(1); len(got) != 2 || got[0] != one || got[1] != b {
		t.Fatalf("Scale one bottom fillers = %v", got)
	}
	if got := s.fillersFor(2); len(got) != 1 || got[0] != b {
		t.Fatalf("Scale two bottoms fillers = %v, want only the bias filler", got)
	}
	c := &Conv{WeightFiller: w, BiasFiller: b}
	if got := c.Fillers(); len(got) != 1 || got[0] != w {
		t.Fatalf("Conv without bias fillers = %v", got)
	}
	r := &Recurrent{Kind: "RNN", NumOutput: 4, WeightFiller: w, BiasFiller: b}
	want := []Filler{w, b, w, w, w, b} // W_xh b_h W_xh_static W_hh W_ho b_o
	if got := r.fillersFor(3); len(got) != len(want) {
		t.Fatalf("RNN static fillers = %v, want %v", got, want)
	} else {
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("RNN static filler %d = %v, want %v", i, got[i], want[i])
			}
		}
	}
}
