package im2col

// GeomND is the N-D form: In, Kernel, Pad, Stride, Dilation have one entry
// per spatial axis.
type GeomND struct {
	C                                 int
	In, Kernel, Pad, Stride, Dilation []int
}

// Out is the output spatial shape.
func (g GeomND) Out() []int {
	out := make([]int, len(g.In))
	for i := range g.In {
		out[i] = OutDim(g.In[i], g.Kernel[i], g.Pad[i], g.Stride[i], g.Dilation[i])
	}
	return out
}

// ColLen is the number of elements of the column buffer.
func (g GeomND) ColLen() int {
	n := g.C
	for i, o := range g.Out() {
		n *= g.Kernel[i] * o
	}
	return n
}

// Im2colND fills col from im (C×In...).
func Im2colND(g GeomND, im, col []float32) {
	walkND(g, func(ci, imIdx int, inside bool) {
		if inside {
			col[ci] = im[imIdx]
		} else {
			col[ci] = 0
		}
	})
}

// Col2imND overwrites im with the scattered sum of col.
func Col2imND(g GeomND, col, im []float32) {
	n := g.C
	for _, d := range g.In {
		n *= d
	}
	clear(im[:n])
	walkND(g, func(ci, imIdx int, inside bool) {
		if inside {
			im[imIdx] += col[ci]
		}
	})
}

// walkND visits every column-matrix entry in storage order with the flat
// image index it maps to and whether that index is inside the image.
func walkND(g GeomND, visit func(colIdx, imIdx int, inside bool)) {
	nd := len(g.In)
	out := g.Out()
	outCount, kCount, imPlane := 1, 1, 1
	for i := 0; i < nd; i++ {
		if out[i] <= 0 {
			return
		}
		outCount *= out[i]
		kCount *= g.Kernel[i]
		imPlane *= g.In[i]
	}
	kOff := make([]int, nd) // current kernel offset per axis
	oPos := make([]int, nd) // current output position per axis
	ci := 0
	for c := 0; c < g.C; c++ {
		base := c * imPlane
		clear(kOff)
		for k := 0; k < kCount; k++ {
			clear(oPos)
			for o := 0; o < outCount; o++ {
				idx, inside := 0, true
				for d := 0; d < nd; d++ {
					p := oPos[d]*g.Stride[d] - g.Pad[d] + kOff[d]*g.Dilation[d]
					if p < 0 || p >= g.In[d] {
						inside = false
						break
					}
					idx = idx*g.In[d] + p
				}
				visit(ci, base+idx, inside)
				ci++
				increment(oPos, out)
			}
			increment(kOff, g.Kernel)
		}
	}
}

// increment advances a row-major multi-index over dims (last axis fastest).
func increment(ix, dims []int) {
	for d := len(ix) - 1; d >= 0; d-- {
		ix[d]++
		if ix[d] < dims[d] {
			return
		}
		ix[d] = 0
	}
}
