package exec

import (
	"sort"

	"github.com/caffetool/caffetool/graph"
)

// argMaxLayer finds the top_k largest values, either of each sample's
// flattened C·H·W values (no axis: top N×1×K or N×2×K with the values in row
// 1 when out_max_val) or along one axis (top with that axis resized to K,
// holding indices, or values when out_max_val).
//
// Order follows Caffe's std::partial_sort with std::greater on (value,
// index) pairs: descending value, and for equal values the larger index
// first.
type argMaxLayer struct {
	io        opIO
	topK      int
	outMaxVal bool
	hasAxis   bool
	num       int // columns: samples (no axis) or outer·inner (axis)
	dim       int // values compared per column
	stride    int // distance between a column's values
}

func newArgMax(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := opAs[graph.ArgMax](n)
	if err != nil {
		return nil, err
	}
	if err := opArity(n, in, out, 1, 1, 1); err != nil {
		return nil, err
	}
	s := in[0]
	if len(s) < 1 {
		return nil, opErr(n, "bottom[0]", "needs at least 1 axis, got a scalar")
	}
	if op.TopK < 1 {
		return nil, opErr(n, "top_k", "must be at least 1, got %d", op.TopK)
	}
	l := &argMaxLayer{io: newOpIO(n, in, out), topK: op.TopK, outMaxVal: op.OutMaxVal, hasAxis: op.HasAxis}
	want := 0
	if op.HasAxis {
		axis, err := graph.CanonicalAxis(op.Axis, len(s))
		if err != nil {
			return nil, opErr(n, "axis", "%v", err)
		}
		l.dim, l.stride = s[axis], s.CountRange(axis+1, len(s))
		if l.dim > 0 {
			l.num = s.Count() / l.dim
		}
		want = l.num * l.topK
	} else {
		l.num, l.dim, l.stride = s[0], s.CountRange(1, len(s)), 1
		want = l.num * l.topK
		if op.OutMaxVal {
			want *= 2
		}
	}
	if op.TopK > l.dim {
		return nil, opErr(n, "top_k", "%d exceeds the %d values compared", op.TopK, l.dim)
	}
	if out[0].Count() != want {
		return nil, opErr(n, "top[0]", "shape %v does not hold %d results", out[0], want)
	}
	return l, nil
}

func (l *argMaxLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.io.check(bottoms, tops); err != nil {
		return err
	}
	src, dst := bottoms[0].Data, tops[0].Data
	idx := make([]int, l.dim)
	val := make([]float32, l.dim)
	for i := 0; i < l.num; i++ {
		// Column i starts at (i / stride)·dim·stride + i % stride.
		base := (i/l.stride)*l.dim*l.stride + i%l.stride
		for j := range idx {
			idx[j] = j
			val[j] = src[base+j*l.stride]
		}
		// The whole column is read before any result is written, so an
		// in-place run (top_k == dim along an axis) stays correct.
		if l.topK == 1 {
			// Linear scan; >= lets the later of equal values win.
			best := 0
			for j := 1; j < l.dim; j++ {
				if val[j] >= val[best] {
					best = j
				}
			}
			idx[0] = best
		} else {
			l.sortColumn(idx, val)
		}
		for j := 0; j < l.topK; j++ {
			k := idx[j]
			switch {
			case l.hasAxis && l.outMaxVal:
				dst[(i/l.stride)*l.topK*l.stride+i%l.stride+j*l.stride] = val[k]
			case l.hasAxis:
				dst[(i/l.stride)*l.topK*l.stride+i%l.stride+j*l.stride] = float32(k)
			case l.outMaxVal:
				dst[2*i*l.topK+j] = float32(k)
				dst[2*i*l.topK+l.topK+j] = val[k]
			default:
				dst[i*l.topK+j] = float32(k)
			}
		}
	}
	return nil
}

// sortColumn orders idx by (value, index) descending.
func (l *argMaxLayer) sortColumn(idx []int, val []float32) {
	sort.Slice(idx, func(a, b int) bool {
		va, vb := val[idx[a]], val[idx[b]]
		if va != vb {
			return va > vb
		}
		return idx[a] > idx[b]
	})
}
