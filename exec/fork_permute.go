package exec

import "github.com/caffetool/caffetool/graph"

// permuteLayer is SSD's Permute: top axis i is bottom axis order[i]; axes
// the order leaves out follow in their original order (permute_layer.cpp).
type permuteLayer struct {
	io opIO
	// For each top axis: its size and the bottom stride it walks.
	dims, strides []int
	identity      bool
}

func newPermute(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.Permute](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 1, 1); err != nil {
		return nil, err
	}
	s := in[0]
	order, err := permuteOrder(n, op.Order, len(s))
	if err != nil {
		return nil, err
	}
	bstride := make([]int, len(s))
	st := 1
	for i := len(s) - 1; i >= 0; i-- {
		bstride[i] = st
		st *= s[i]
	}
	l := &permuteLayer{io: newOpIO(n, in, out), identity: true}
	for i, a := range order {
		l.dims = append(l.dims, s[a])
		l.strides = append(l.strides, bstride[a])
		if a != i {
			l.identity = false
		}
	}
	if !out[0].Equal(graph.Shape(l.dims)) {
		return nil, opErr(n, "top[0]", "shape %v, want %v for order %v of bottom shape %v", out[0], graph.Shape(l.dims), order, s)
	}
	return l, nil
}

// permuteOrder completes a Permute order for a blob of rank axes.
func permuteOrder(n *graph.Node, given []int, rank int) ([]int, error) {
	seen := make([]bool, rank)
	var order []int
	for _, a := range given {
		if a < 0 || a >= rank {
			return nil, opErr(n, "order", "axis %d out of range for a %d-axis bottom", a, rank)
		}
		if seen[a] {
			return nil, opErr(n, "order", "axis %d listed twice", a)
		}
		seen[a] = true
		order = append(order, a)
	}
	for a := 0; a < rank; a++ {
		if !seen[a] {
			order = append(order, a)
		}
	}
	return order, nil
}

func (l *permuteLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	dst := tops[0].Data
	src := inputCopy(bottoms[0].Data, dst)
	if l.identity || len(dst) == 0 {
		copy(dst, src)
		return nil
	}
	// Walk the top in order with an odometer over its axes, tracking the
	// matching bottom offset. The last axis runs in the inner loop.
	r := len(l.dims)
	pos := make([]int, r)
	last, lastStride := l.dims[r-1], l.strides[r-1]
	off := 0
	for o := 0; o < len(dst); o += last {
		for i, j := 0, off; i < last; i, j = i+1, j+lastStride {
			dst[o+i] = src[j]
		}
		for a := r - 2; a >= 0; a-- {
			pos[a]++
			off += l.strides[a]
			if pos[a] < l.dims[a] {
				break
			}
			off -= pos[a] * l.strides[a]
			pos[a] = 0
		}
	}
	return nil
}
