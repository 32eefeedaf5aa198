package im2col

// OutDim is Caffe's convolution output size along one axis.
func OutDim(in, kernel, pad, stride, dilation int) int {
	ext := dilation*(kernel-1) + 1
	return (in+2*pad-ext)/stride + 1
}

// Geom2D is one image plane stack and its convolution window.
type Geom2D struct {
	C, H, W          int
	KH, KW           int
	PadH, PadW       int
	StrideH, StrideW int
	DilH, DilW       int
}

// Out is the output spatial size.
func (g Geom2D) Out() (oh, ow int) {
	return OutDim(g.H, g.KH, g.PadH, g.StrideH, g.DilH), OutDim(g.W, g.KW, g.PadW, g.StrideW, g.DilW)
}

// ColLen is the number of elements of the column buffer.
func (g Geom2D) ColLen() int {
	oh, ow := g.Out()
	return g.C * g.KH * g.KW * oh * ow
}

// Im2col2D fills col (at least ColLen elements) from im (C×H×W).
func Im2col2D(g Geom2D, im, col []float32) {
	oh, ow := g.Out()
	if oh <= 0 || ow <= 0 {
		return
	}
	plane := g.H * g.W
	p := 0
	for c := 0; c < g.C; c++ {
		src := im[c*plane : (c+1)*plane]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				dst := col[p : p+oh*ow]
				p += oh * ow
				fillRow(g, src, dst, oh, ow, kh*g.DilH-g.PadH, kw*g.DilW-g.PadW)
			}
		}
	}
}

// fillRow writes one column-matrix row: the input pixel seen by kernel
// offset (r0, c0) relative to every output position.
func fillRow(g Geom2D, src, dst []float32, oh, ow, r0, c0 int) {
	// Output columns whose input column is inside [0, W): x in [lo, hi).
	lo, hi := validRange(c0, g.StrideW, g.W, ow)
	for y := 0; y < oh; y++ {
		out := dst[y*ow : (y+1)*ow]
		r := r0 + y*g.StrideH
		if r < 0 || r >= g.H || lo >= hi {
			clear(out)
			continue
		}
		row := src[r*g.W : (r+1)*g.W]
		clear(out[:lo])
		if g.StrideW == 1 {
			copy(out[lo:hi], row[c0+lo:c0+hi])
		} else {
			for x, cc := lo, c0+lo*g.StrideW; x < hi; x, cc = x+1, cc+g.StrideW {
				out[x] = row[cc]
			}
		}
		clear(out[hi:])
	}
}

// validRange gives the output indices x in [0, n) with 0 <= start + x*stride < size.
func validRange(start, stride, size, n int) (lo, hi int) {
	lo = 0
	if start < 0 {
		lo = (-start + stride - 1) / stride
	}
	hi = n
	if last := start + (n-1)*stride; last >= size {
		// largest x with start + x*stride <= size-1
		if size-1-start < 0 {
			hi = 0
		} else {
			hi = (size-1-start)/stride + 1
		}
	}
	if lo > n {
		lo = n
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Col2im2D overwrites im (C×H×W) with the sum of every column entry at the
// pixel it was read from.
func Col2im2D(g Geom2D, col, im []float32) {
	clear(im[:g.C*g.H*g.W])
	oh, ow := g.Out()
	if oh <= 0 || ow <= 0 {
		return
	}
	plane := g.H * g.W
	p := 0
	for c := 0; c < g.C; c++ {
		dst := im[c*plane : (c+1)*plane]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				src := col[p : p+oh*ow]
				p += oh * ow
				r0, c0 := kh*g.DilH-g.PadH, kw*g.DilW-g.PadW
				lo, hi := validRange(c0, g.StrideW, g.W, ow)
				for y := 0; y < oh; y++ {
					r := r0 + y*g.StrideH
					if r < 0 || r >= g.H {
						continue
					}
					row := dst[r*g.W : (r+1)*g.W]
					in := src[y*ow : (y+1)*ow]
					for x, cc := lo, c0+lo*g.StrideW; x < hi; x, cc = x+1, cc+g.StrideW {
						row[cc] += in[x]
					}
				}
			}
		}
	}
}
