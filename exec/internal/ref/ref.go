package ref

import "math"

// Conv2D describes a grouped, dilated 2-D convolution (or, for Deconv, the
// convolution it is the transpose of). In and Out are channel counts of the
// layer's bottom and top.
type Conv2D struct {
	N, In, H, W      int
	Out              int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Group            int
}

// ConvOut is the convolution output size.
func (p Conv2D) ConvOut() (oh, ow int) {
	return (p.H+2*p.PadH-(p.DilH*(p.KH-1)+1))/p.StrideH + 1,
		(p.W+2*p.PadW-(p.DilW*(p.KW-1)+1))/p.StrideW + 1
}

// DeconvOut is the deconvolution output size.
func (p Conv2D) DeconvOut() (oh, ow int) {
	return p.StrideH*(p.H-1) + p.DilH*(p.KH-1) + 1 - 2*p.PadH,
		p.StrideW*(p.W-1) + p.DilW*(p.KW-1) + 1 - 2*p.PadW
}

// Conv computes y[n,o,i,j] = b[o] + Σ x[n,c,i·s-p+k·d,…]·w[o,c',k…] over the
// input channels c of o's group; w is [Out, In/Group, KH, KW], b may be nil.
func Conv(p Conv2D, x, w, b []float32) []float32 {
	oh, ow := p.ConvOut()
	inG, outG := p.In/p.Group, p.Out/p.Group
	y := make([]float32, p.N*p.Out*oh*ow)
	for n := 0; n < p.N; n++ {
		for o := 0; o < p.Out; o++ {
			g := o / outG
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s float64
					if b != nil {
						s = float64(b[o])
					}
					for c := 0; c < inG; c++ {
						ic := g*inG + c
						for kh := 0; kh < p.KH; kh++ {
							h := i*p.StrideH - p.PadH + kh*p.DilH
							if h < 0 || h >= p.H {
								continue
							}
							for kw := 0; kw < p.KW; kw++ {
								v := j*p.StrideW - p.PadW + kw*p.DilW
								if v < 0 || v >= p.W {
									continue
								}
								s += float64(x[((n*p.In+ic)*p.H+h)*p.W+v]) *
									float64(w[((o*inG+c)*p.KH+kh)*p.KW+kw])
							}
						}
					}
					y[((n*p.Out+o)*oh+i)*ow+j] = float32(s)
				}
			}
		}
	}
	return y
}

// Deconv scatters every input pixel through the kernel: y[n,o,i·s-p+k·d,…]
// += x[n,c,i,j]·w[c,o',k…], with w [In, Out/Group, KH, KW]; b may be nil.
func Deconv(p Conv2D, x, w, b []float32) []float32 {
	oh, ow := p.DeconvOut()
	inG, outG := p.In/p.Group, p.Out/p.Group
	acc := make([]float64, p.N*p.Out*oh*ow)
	for n := 0; n < p.N; n++ {
		for c := 0; c < p.In; c++ {
			g := c / inG
			for i := 0; i < p.H; i++ {
				for j := 0; j < p.W; j++ {
					xv := float64(x[((n*p.In+c)*p.H+i)*p.W+j])
					for oo := 0; oo < outG; oo++ {
						o := g*outG + oo
						for kh := 0; kh < p.KH; kh++ {
							h := i*p.StrideH - p.PadH + kh*p.DilH
							if h < 0 || h >= oh {
								continue
							}
							for kw := 0; kw < p.KW; kw++ {
								v := j*p.StrideW - p.PadW + kw*p.DilW
								if v < 0 || v >= ow {
									continue
								}
								acc[((n*p.Out+o)*oh+h)*ow+v] += xv * float64(w[((c*outG+oo)*p.KH+kh)*p.KW+kw])
							}
						}
					}
				}
			}
		}
	}
	y := make([]float32, len(acc))
	for i, v := range acc {
		if b != nil {
			v += float64(b[(i/(oh*ow))%p.Out])
		}
		y[i] = float32(v)
	}
	return y
}

// Pool2D is a 2-D pooling with given output size (the rounding rule is
// shape inference's business, not the kernel's).
type Pool2D struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	OutH, OutW       int
}

// MaxPool takes the largest input in each window clipped to the image
// (padding never wins). The first maximum in row-major order gives the
// mask index h·W+w; a window holding no input pixel yields -MaxFloat32 and
// mask -1.
func MaxPool(p Pool2D, x []float32) (y, mask []float32) {
	y = make([]float32, p.N*p.C*p.OutH*p.OutW)
	mask = make([]float32, len(y))
	for nc := 0; nc < p.N*p.C; nc++ {
		plane := x[nc*p.H*p.W : (nc+1)*p.H*p.W]
		for i := 0; i < p.OutH; i++ {
			for j := 0; j < p.OutW; j++ {
				best, arg := float32(-math.MaxFloat32), -1
				for h := i*p.StrideH - p.PadH; h < i*p.StrideH-p.PadH+p.KH; h++ {
					for w := j*p.StrideW - p.PadW; w < j*p.StrideW-p.PadW+p.KW; w++ {
						if h < 0 || h >= p.H || w < 0 || w >= p.W {
							continue
						}
						if v := plane[h*p.W+w]; arg < 0 || v > best {
							best, arg = v, h*p.W+w
						}
					}
				}
				if arg < 0 {
					best = -math.MaxFloat32
				}
				o := (nc*p.OutH+i)*p.OutW + j
				y[o], mask[o] = best, float32(arg)
			}
		}
	}
	return y, mask
}

// AvePool averages each window, dividing by the window's extent clipped to
// the padded image [-pad, size+pad): padding cells count as zeros, window
// overhang beyond the padding does not count.
func AvePool(p Pool2D, x []float32) []float32 {
	y := make([]float32, p.N*p.C*p.OutH*p.OutW)
	for nc := 0; nc < p.N*p.C; nc++ {
		plane := x[nc*p.H*p.W : (nc+1)*p.H*p.W]
		for i := 0; i < p.OutH; i++ {
			h0 := i*p.StrideH - p.PadH
			rows := min(h0+p.KH, p.H+p.PadH) - h0
			for j := 0; j < p.OutW; j++ {
				w0 := j*p.StrideW - p.PadW
				cols := min(w0+p.KW, p.W+p.PadW) - w0
				var s float64
				for h := max(h0, 0); h < min(h0+p.KH, p.H); h++ {
					for w := max(w0, 0); w < min(w0+p.KW, p.W); w++ {
						s += float64(plane[h*p.W+w])
					}
				}
				y[(nc*p.OutH+i)*p.OutW+j] = float32(s / float64(rows*cols))
			}
		}
	}
	return y
}
