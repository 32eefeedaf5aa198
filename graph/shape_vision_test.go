package graph

import "testing"

func conv(num int, k, s, p, d []int, group int) *Conv {
	return &Conv{NumOutput: num, BiasTerm: true, Kernel: k, Stride: s, Pad: p, Dilation: d, Group: group, Axis: 1}
}

func ints(v ...int) []int { return v }

func TestConvShapes(t *testing.T) {
	deconv := func(num int, k, s, p int, group int, bias bool) *Conv {
		c := conv(num, ints(k), ints(s), ints(p), nil, group)
		c.Deconv, c.BiasTerm = true, bias
		return c
	}
	depthwise := conv(6, ints(3), nil, ints(1), nil, 1)
	depthwise.Depthwise = true
	dw2 := conv(4, ints(3), ints(2), ints(1), nil, 0)
	dw2.Depthwise = true
	noBias := conv(5, ints(3), nil, nil, nil, 1)
	noBias.BiasTerm = false
	axis2 := conv(5, ints(3), nil, nil, nil, 1)
	axis2.Axis = 2
	negAxis := conv(4, ints(3), nil, ints(1), nil, 1)
	negAxis.Axis = -3

	runShapeCases(t, []shapeCase{
		// conformance conv_3x3_pad1
		{name: "3x3_pad1", op: conv(4, ints(3), nil, ints(1), nil, 1),
			in: shapes(sh(2, 3, 7, 7)), want: shapes(sh(2, 4, 7, 7)), params: shapes(sh(4, 3, 3, 3), sh(4))},
		// floor((8-3)/2)+1 = 3 (3.5 rounds down)
		{name: "floor_rounding", op: conv(2, ints(3), ints(2), nil, nil, 1),
			in: shapes(sh(1, 3, 8, 8)), want: shapes(sh(1, 2, 3, 3))},
		// floor((10+2-3)/4)+1 = 3
		{name: "floor_rounding_pad", op: conv(2, ints(3), ints(4), ints(1), nil, 1),
			in: shapes(sh(1, 1, 10, 10)), want: shapes(sh(1, 2, 3, 3))},
		// conformance conv_stride2_pad2_dilation2: effective kernel 5, (11+4-5)/2+1 = 6
		{name: "dilation", op: conv(4, ints(3), ints(2), ints(2), ints(2), 1),
			in: shapes(sh(1, 3, 11, 11)), want: shapes(sh(1, 4, 6, 6)), params: shapes(sh(4, 3, 3, 3), sh(4))},
		// conformance conv_rect_kernel: H (9+2-3)/2+1 = 5, W (11+4-5)/1+1 = 11
		{name: "rect_kernel", op: conv(4, ints(3, 5), ints(2, 1), ints(1, 2), nil, 1),
			in: shapes(sh(1, 3, 9, 11)), want: shapes(sh(1, 4, 5, 11)), params: shapes(sh(4, 3, 3, 5), sh(4))},
		// conformance conv_group2
		{name: "group2", op: conv(6, ints(3), nil, ints(1), nil, 2),
			in: shapes(sh(1, 4, 7, 7)), want: shapes(sh(1, 6, 7, 7)), params: shapes(sh(6, 2, 3, 3), sh(6))},
		// conformance conv_depthwise: group = C = 6
		{name: "depthwise", op: depthwise,
			in: shapes(sh(1, 6, 9, 9)), want: shapes(sh(1, 6, 9, 9)), params: shapes(sh(6, 1, 3, 3), sh(6))},
		// conformance conv_depthwise_stride2: (9+2-3)/2+1 = 5; Group field ignored
		{name: "depthwise_stride2", op: dw2,
			in: shapes(sh(2, 4, 9, 9)), want: shapes(sh(2, 4, 5, 5)), params: shapes(sh(4, 1, 3, 3), sh(4))},
		// conformance conv_no_bias
		{name: "no_bias", op: noBias,
			in: shapes(sh(1, 3, 7, 7)), want: shapes(sh(1, 5, 5, 5)), params: shapes(sh(5, 3, 3, 3))},
		// conformance conv_3d: D (5+2-3)/1+1 = 5, H and W (7+2-3)/2+1 = 4
		{name: "conv_3d", op: conv(3, ints(3), ints(1, 2, 2), ints(1), nil, 1),
			in: shapes(sh(1, 2, 5, 7, 7)), want: shapes(sh(1, 3, 5, 4, 4)), params: shapes(sh(3, 2, 3, 3, 3), sh(3))},
		// channel axis 2: N = 2*3, C = 4, one spatial axis (9-3)/1+1 = 7
		{name: "axis2", op: axis2,
			in: shapes(sh(2, 3, 4, 9)), want: shapes(sh(2, 3, 5, 7)), params: shapes(sh(5, 4, 3), sh(5))},
		{name: "negative_axis", op: negAxis,
			in: shapes(sh(1, 3, 7, 7)), want: shapes(sh(1, 4, 7, 7))},
		// every bottom gives one top of the same shape
		{name: "two_bottoms", op: conv(4, ints(3), nil, ints(1), nil, 1), nTops: 2,
			in: shapes(sh(1, 3, 7, 7), sh(1, 3, 7, 7)), want: shapes(sh(1, 4, 7, 7), sh(1, 4, 7, 7))},

		// conformance deconv_basic: 1*(5-1)+3-0 = 7; weights [C_in, num_output/group, k, k]
		{name: "deconv_basic", op: deconv(4, 3, 1, 0, 1, true),
			in: shapes(sh(1, 3, 5, 5)), want: shapes(sh(1, 4, 7, 7)), params: shapes(sh(3, 4, 3, 3), sh(4))},
		// conformance deconv_group2: 2*(5-1)+3 = 11
		{name: "deconv_group2", op: deconv(6, 3, 2, 0, 2, true),
			in: shapes(sh(1, 4, 5, 5)), want: shapes(sh(1, 6, 11, 11)), params: shapes(sh(4, 3, 3, 3), sh(6))},
		// conformance deconv_stride2_pad1: 2*4+3-2 = 9
		{name: "deconv_stride2_pad1", op: deconv(4, 3, 2, 1, 1, true),
			in: shapes(sh(2, 3, 5, 5)), want: shapes(sh(2, 4, 9, 9))},
		// conformance deconv_bilinear_upsample: 2*4+4-2 = 10
		{name: "deconv_bilinear", op: deconv(3, 4, 2, 1, 3, false),
			in: shapes(sh(1, 3, 5, 5)), want: shapes(sh(1, 3, 10, 10)), params: shapes(sh(3, 1, 4, 4))},
		// dilated deconvolution: 1*(4-1) + 2*(3-1)+1 = 8
		{name: "deconv_dilated", op: &Conv{Deconv: true, NumOutput: 2, Kernel: ints(3), Dilation: ints(2), Group: 1, Axis: 1},
			in: shapes(sh(1, 1, 4, 4)), want: shapes(sh(1, 2, 8, 8)), params: shapes(sh(1, 2, 3, 3))},

		// errors
		{name: "group_not_dividing_channels", op: conv(6, ints(3), nil, nil, nil, 4),
			in: shapes(sh(1, 6, 7, 7)), wantErr: "group 4, 6 input channels", wantField: "group"},
		{name: "group_not_dividing_num_output", op: conv(5, ints(3), nil, nil, nil, 2),
			in: shapes(sh(1, 4, 7, 7)), wantErr: "num_output 5", wantField: "group"},
		{name: "depthwise_num_output", op: &Conv{Depthwise: true, NumOutput: 5, Kernel: ints(3), Axis: 1},
			in: shapes(sh(1, 4, 7, 7)), wantErr: "num_output 5", wantField: "group"},
		{name: "kernel_larger_than_padded_input", op: conv(2, ints(5), nil, ints(1), nil, 1),
			in: shapes(sh(1, 1, 2, 2)), wantErr: "kernel larger than the padded input", wantField: "kernel_size"},
		{name: "dilated_kernel_too_large", op: conv(2, ints(3), nil, nil, ints(3), 1),
			in: shapes(sh(1, 1, 6, 6)), wantErr: "kernel larger than the padded input", wantField: "kernel_size"},
		{name: "kernel_unset", op: conv(2, nil, nil, nil, nil, 1),
			in: shapes(sh(1, 1, 6, 6)), wantErr: "must be specified", wantField: "kernel_size"},
		{name: "kernel_zero", op: conv(2, ints(0), nil, nil, nil, 1),
			in: shapes(sh(1, 1, 6, 6)), wantErr: "positive", wantField: "kernel_size"},
		{name: "stride_zero", op: conv(2, ints(3), ints(0), nil, nil, 1),
			in: shapes(sh(1, 1, 6, 6)), wantErr: "positive", wantField: "stride"},
		{name: "dilation_zero", op: conv(2, ints(3), nil, nil, ints(0), 1),
			in: shapes(sh(1, 1, 6, 6)), wantErr: "positive", wantField: "dilation"},
		{name: "kernel_count", op: conv(2, ints(3, 3), nil, nil, nil, 1),
			in: shapes(sh(1, 1, 6, 6, 6)), wantErr: "2 values for 3 spatial axes", wantField: "kernel_size"},
		{name: "num_output_zero", op: conv(0, ints(3), nil, nil, nil, 1),
			in: shapes(sh(1, 1, 6, 6)), wantErr: "positive", wantField: "num_output"},
		{name: "bottoms_differ", op: conv(4, ints(3), nil, nil, nil, 1), nTops: 2,
			in: shapes(sh(1, 3, 7, 7), sh(1, 3, 9, 9)), wantErr: "same shape", wantField: "bottom[1]"},
		{name: "tops_per_bottom", op: conv(4, ints(3), nil, nil, nil, 1), nTops: 1,
			in: shapes(sh(1, 3, 7, 7), sh(1, 3, 7, 7)), wantErr: "wrong number of tops", wantField: "top"},
		{name: "no_bottom", op: conv(4, ints(3), nil, nil, nil, 1),
			in: nil, wantErr: "wrong number of bottoms", wantField: "bottom"},
		{name: "deconv_negative_output", op: deconv(2, 1, 1, 1, 1, false),
			in: shapes(sh(1, 1, 1, 1)), wantErr: "output size", wantField: "pad"},
		{name: "axis_out_of_range", op: &Conv{NumOutput: 2, Kernel: ints(1), Group: 1, Axis: 4},
			in: shapes(sh(1, 1, 2, 2)), wantErr: "out of range", wantField: "axis"},
	})
}

func TestIm2col(t *testing.T) {
	runShapeCases(t, []shapeCase{
		// channels become C*kh*kw = 3*3*3; spatial as convolution (7+2-3)/2+1 = 4
		{name: "basic", op: &Im2col{Conv: Conv{Kernel: ints(3), Stride: ints(2), Pad: ints(1), Axis: 1}},
			in: shapes(sh(2, 3, 7, 7)), want: shapes(sh(2, 27, 4, 4))},
		{name: "too_large", op: &Im2col{Conv: Conv{Kernel: ints(9), Axis: 1}},
			in: shapes(sh(2, 3, 7, 7)), wantErr: "kernel larger", wantField: "kernel_size"},
	})
}

func pool(m PoolMethod, k, s, p int) *Pool {
	return &Pool{Method: m, KernelH: k, KernelW: k, StrideH: s, StrideW: s, PadH: p, PadW: p, CeilMode: true}
}

func TestPoolShapes(t *testing.T) {
	floor := func(pl *Pool) *Pool { pl.CeilMode = false; return pl }
	global := func(m PoolMethod) *Pool {
		return &Pool{Method: m, Global: true, StrideH: 1, StrideW: 1, CeilMode: true}
	}
	rect := func(m PoolMethod, kh, kw, sh, sw, ph, pw int) *Pool {
		return &Pool{Method: m, KernelH: kh, KernelW: kw, StrideH: sh, StrideW: sw, PadH: ph, PadW: pw, CeilMode: true}
	}
	runShapeCases(t, []shapeCase{
		// ceil((7-2)/2)+1 = 4 (conformance pooling_ave_ceil_partial_nopad)
		{name: "ceil", op: pool(PoolAve, 2, 2, 0), in: shapes(sh(1, 3, 7, 7)), want: shapes(sh(1, 3, 4, 4))},
		// conformance pooling_max_floor: floor((7-2)/2)+1 = 3, floor((9-2)/2)+1 = 4
		{name: "floor", op: floor(pool(PoolMax, 2, 2, 0)), in: shapes(sh(1, 3, 7, 9)), want: shapes(sh(1, 3, 3, 4))},
		// conformance pooling_max_ceil_clip: ceil(4/3)+1 = 3, (3-1)*3 = 6 >= 5+1, so 2
		{name: "ceil_clip", op: pool(PoolMax, 3, 3, 1), in: shapes(sh(1, 3, 5, 5)), want: shapes(sh(1, 3, 2, 2))},
		// conformance pooling_ave_ceil_overhang: ceil(8/3)+1 = 4, (4-1)*3 = 9 < 10, kept
		{name: "ceil_overhang", op: pool(PoolAve, 3, 3, 1), in: shapes(sh(1, 2, 9, 9)), want: shapes(sh(1, 2, 4, 4))},
		// conformance pooling_ave_floor_pad1: floor(5/2)+1 = 3 (ceil would give 4)
		{name: "floor_pad", op: floor(pool(PoolAve, 4, 2, 1)), in: shapes(sh(1, 2, 7, 7)), want: shapes(sh(1, 2, 3, 3))},
		// conformance pooling_ave_pad1
		{name: "pad1", op: pool(PoolAve, 3, 2, 1), in: shapes(sh(2, 3, 7, 7)), want: shapes(sh(2, 3, 4, 4))},
		// conformance pooling_ave_rect: H ceil(6/2)+1 = 4, W ceil(9/3)+1 = 4
		{name: "rect_ave", op: rect(PoolAve, 3, 2, 2, 3, 1, 0), in: shapes(sh(1, 3, 7, 11)), want: shapes(sh(1, 3, 4, 4))},
		// conformance pooling_max_rect: H ceil(7/2)+1 = 5, W ceil(6/2)+1 = 4
		{name: "rect_max", op: rect(PoolMax, 2, 3, 2, 2, 0, 1), in: shapes(sh(1, 3, 9, 7)), want: shapes(sh(1, 3, 5, 4))},
		// conformance pooling_max_k2_s3: ceil(9/3)+1 = 4
		{name: "k2_s3", op: pool(PoolMax, 2, 3, 0), in: shapes(sh(1, 3, 11, 11)), want: shapes(sh(1, 3, 4, 4))},
		// conformance pooling_max_k2_s3_empty_window: ceil(7/3)+1 = 4 and no
		// clip without padding, so the last window starts at 9, outside the input.
		{name: "k2_s3_empty_window", op: pool(PoolMax, 2, 3, 0), nTops: 2,
			in: shapes(sh(1, 2, 9, 9)), want: shapes(sh(1, 2, 4, 4), sh(1, 2, 4, 4))},
		// Padding on H alone turns the clip on for W too: W ceil(7/3)+1 = 4,
		// (4-1)*3 = 9 >= 9+0, so 3; H ceil(9/3)+1 = 4 stays.
		{name: "clip_applies_to_unpadded_axis", op: rect(PoolMax, 2, 2, 3, 3, 1, 0),
			in: shapes(sh(1, 1, 9, 9)), want: shapes(sh(1, 1, 4, 3))},
		// conformance pooling_max_two_tops_mask
		{name: "max_mask", op: pool(PoolMax, 3, 2, 0), nTops: 2,
			in: shapes(sh(2, 3, 7, 7)), want: shapes(sh(2, 3, 3, 3), sh(2, 3, 3, 3))},
		// conformance pooling_global_ave / _max on a non-square map
		{name: "global_ave", op: global(PoolAve), in: shapes(sh(2, 4, 7, 9)), want: shapes(sh(2, 4, 1, 1))},
		{name: "global_max", op: global(PoolMax), in: shapes(sh(2, 4, 7, 9)), want: shapes(sh(2, 4, 1, 1))},
		// A kernel larger than the input is accepted in ceil mode while
		// ceil((2-3)/2)+1 = 1 (float32 ceil of -0.5 is 0), as in Caffe.
		{name: "ceil_kernel_over_input", op: pool(PoolMax, 3, 2, 0), in: shapes(sh(1, 1, 2, 2)), want: shapes(sh(1, 1, 1, 1))},

		{name: "floor_kernel_over_input", op: floor(pool(PoolMax, 3, 1, 0)),
			in: shapes(sh(1, 1, 2, 2)), wantErr: "larger than the padded input", wantField: "kernel_size"},
		{name: "pad_not_below_kernel", op: pool(PoolMax, 2, 2, 2),
			in: shapes(sh(1, 1, 8, 8)), wantErr: "smaller than the kernel", wantField: "pad"},
		{name: "stochastic_pad", op: pool(PoolStochastic, 3, 2, 1),
			in: shapes(sh(1, 1, 8, 8)), wantErr: "only for AVE and MAX", wantField: "pad"},
		{name: "global_with_stride", op: &Pool{Method: PoolAve, Global: true, StrideH: 2, StrideW: 2},
			in: shapes(sh(1, 1, 8, 8)), wantErr: "only pad = 0 and stride = 1", wantField: "global_pooling"},
		{name: "not_4d", op: pool(PoolMax, 2, 2, 0), in: shapes(sh(1, 8, 8)), wantErr: "4 axes", wantField: "bottom[0]"},
		{name: "stride_zero", op: pool(PoolMax, 2, 0, 0), in: shapes(sh(1, 1, 8, 8)), wantErr: "positive", wantField: "stride"},
		{name: "kernel_zero", op: pool(PoolMax, 0, 1, 0), in: shapes(sh(1, 1, 8, 8)), wantErr: "positive", wantField: "kernel_size"},
		{name: "ave_mask_top", op: pool(PoolAve, 2, 2, 0), nTops: 2, in: shapes(sh(1, 1, 8, 8)), wantErr: "wrong number of tops", wantField: "top"},
	})
}

func TestSPPShapes(t *testing.T) {
	runShapeCases(t, []shapeCase{
		// conformance spp_ave_pyramid3: 2 * (1 + 4 + 16) = 42
		{name: "ave_pyramid3", op: &SPP{PyramidHeight: 3, Method: PoolAve}, in: shapes(sh(1, 2, 9, 11)), want: shapes(sh(1, 42))},
		// conformance spp_max_pyramid2: 3 * (1 + 4) = 15
		{name: "max_pyramid2", op: &SPP{PyramidHeight: 2, Method: PoolMax}, in: shapes(sh(2, 3, 7, 9)), want: shapes(sh(2, 15))},
		// one level is a plain pooling layer in Caffe: no flatten
		{name: "pyramid1", op: &SPP{PyramidHeight: 1, Method: PoolMax}, in: shapes(sh(2, 3, 7, 9)), want: shapes(sh(2, 3, 1, 1))},
		// level 2 on a 2-row map: kernel 1, pad (4-2+1)/2 = 1 is not below the kernel
		{name: "map_too_small", op: &SPP{PyramidHeight: 3, Method: PoolMax}, in: shapes(sh(1, 1, 2, 8)),
			wantErr: "level 2", wantField: "pyramid_height"},
	})
}

func TestInnerProductAndEmbed(t *testing.T) {
	ip := func(n, axis int, transpose, bias bool) *InnerProduct {
		return &InnerProduct{NumOutput: n, Axis: axis, Transpose: transpose, BiasTerm: bias}
	}
	runShapeCases(t, []shapeCase{
		{name: "ip_2d", op: ip(4, 1, false, true), in: shapes(sh(2, 10)), want: shapes(sh(2, 4)), params: shapes(sh(4, 10), sh(4))},
		{name: "ip_4d", op: ip(6, 1, false, true), in: shapes(sh(2, 3, 5, 5)), want: shapes(sh(2, 6)), params: shapes(sh(6, 75), sh(6))},
		{name: "ip_axis2", op: ip(4, 2, false, true), in: shapes(sh(2, 3, 5, 7)), want: shapes(sh(2, 3, 4)), params: shapes(sh(4, 35), sh(4))},
		{name: "ip_no_bias", op: ip(5, 1, false, false), in: shapes(sh(2, 3, 5, 5)), want: shapes(sh(2, 5)), params: shapes(sh(5, 75))},
		{name: "ip_transpose", op: ip(6, 1, true, true), in: shapes(sh(2, 3, 5, 5)), want: shapes(sh(2, 6)), params: shapes(sh(75, 6), sh(6))},
		{name: "ip_axis_neg", op: ip(3, -1, false, false), in: shapes(sh(2, 3, 5)), want: shapes(sh(2, 3, 3)), params: shapes(sh(3, 5))},
		{name: "ip_bad_axis", op: ip(3, 2, false, false), in: shapes(sh(2, 3)), wantErr: "out of range", wantField: "axis"},
		{name: "ip_zero_output", op: ip(0, 1, false, false), in: shapes(sh(2, 3)), wantErr: "positive", wantField: "num_output"},
		{name: "embed", op: &Embed{NumOutput: 4, InputDim: 10, BiasTerm: true}, in: shapes(sh(2, 5)),
			want: shapes(sh(2, 5, 4)), params: shapes(sh(10, 4), sh(4))},
		{name: "embed_no_dim", op: &Embed{NumOutput: 4}, in: shapes(sh(2, 5)), wantErr: "positive", wantField: "input_dim"},
	})
}
