package exec

import (
	"fmt"

	"github.com/caffetool/caffetool/graph"
)

// axisBlocks describes blobs cut along one axis: outer is the count of
// the axes before it; each part i spans sizes[i] contiguous elements per
// outer index (its extent along the axis times the count after it).
type axisBlocks struct {
	outer int
	sizes []int
}

func (a axisBlocks) total() int {
	t := 0
	for _, s := range a.sizes {
		t += s
	}
	return t
}

// splitAxis checks that parts (the pieces) and whole agree on every axis
// but axis, and that the pieces' extents along it add up.
func splitAxis(n *graph.Node, axisParam int, whole graph.Shape, parts []graph.Shape, partName string) (axisBlocks, error) {
	axis, err := graph.CanonicalAxis(axisParam, len(whole))
	if err != nil {
		return axisBlocks{}, coreErr(n, "axis", "%v", err)
	}
	b := axisBlocks{outer: whole.CountRange(0, axis)}
	sum := 0
	for i, p := range parts {
		if len(p) != len(whole) {
			return b, coreErr(n, partName, "%s[%d] shape %v has a different rank than %v", partName, i, p, whole)
		}
		for d := range p {
			if d != axis && p[d] != whole[d] {
				return b, coreErr(n, partName, "%s[%d] shape %v differs from %v off axis %d", partName, i, p, whole, axis)
			}
		}
		sum += p[axis]
		b.sizes = append(b.sizes, p.CountRange(axis, len(p)))
	}
	if sum != whole[axis] {
		return b, coreErr(n, partName, "extents along axis %d add up to %d, want %d", axis, sum, whole[axis])
	}
	return b, nil
}

// concatLayer joins the bottoms along an axis.
type concatLayer struct {
	ioSizes
	b axisBlocks
}

func newConcat(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Concat](n)
	if err != nil {
		return nil, err
	}
	if err := coreArity(n, in, out, 1, -1, 1, 1); err != nil {
		return nil, err
	}
	b, err := splitAxis(n, op.Axis, out[0], in, "bottom")
	if err != nil {
		return nil, err
	}
	return &concatLayer{ioSizes: newIOSizes(in, out), b: b}, nil
}

func (l *concatLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	stride, off := l.b.total(), 0
	for i, bt := range bottoms {
		sz := l.b.sizes[i]
		for o := 0; o < l.b.outer; o++ {
			copy(tops[0].Data[o*stride+off:o*stride+off+sz], bt.Data[o*sz:(o+1)*sz])
		}
		off += sz
	}
	return nil
}

// sliceLayer cuts its bottom along an axis (slice points or equal parts
// are shape inference's business; the top shapes say where to cut).
type sliceLayer struct {
	ioSizes
	b axisBlocks
}

func newSlice(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Slice](n)
	if err != nil {
		return nil, err
	}
	if err := coreArity(n, in, out, 1, 1, 1, -1); err != nil {
		return nil, err
	}
	b, err := splitAxis(n, op.Axis, in[0], out, "top")
	if err != nil {
		return nil, err
	}
	return &sliceLayer{ioSizes: newIOSizes(in, out), b: b}, nil
}

func (l *sliceLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	stride, off := l.b.total(), 0
	for i, t := range tops {
		sz := l.b.sizes[i]
		for o := 0; o < l.b.outer; o++ {
			copy(t.Data[o*sz:(o+1)*sz], bottoms[0].Data[o*stride+off:o*stride+off+sz])
		}
		off += sz
	}
	return nil
}

// tileLayer repeats the block from axis on `tiles` times per outer index.
type tileLayer struct {
	ioSizes
	outer, inner, tiles int
}

func newTile(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Tile](n)
	if err != nil {
		return nil, err
	}
	if err := coreArity(n, in, out, 1, 1, 1, 1); err != nil {
		return nil, err
	}
	axis, err := graph.CanonicalAxis(op.Axis, len(in[0]))
	if err != nil {
		return nil, coreErr(n, "axis", "%v", err)
	}
	l := &tileLayer{ioSizes: newIOSizes(in, out), outer: in[0].CountRange(0, axis), inner: in[0].CountRange(axis, len(in[0])), tiles: op.Tiles}
	if op.Tiles < 1 || out[0].Count() != l.outer*l.inner*l.tiles {
		return nil, coreErr(n, "top[0]", "inferred shape %v is not bottom %v tiled %d times along axis %d", out[0], in[0], op.Tiles, axis)
	}
	return l, nil
}

func (l *tileLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	dst := tops[0].Data
	for o := 0; o < l.outer; o++ {
		src := bottoms[0].Data[o*l.inner : (o+1)*l.inner]
		for t := 0; t < l.tiles; t++ {
			p := (o*l.tiles + t) * l.inner
			copy(dst[p:p+l.inner], src)
		}
	}
	return nil
}

// cropLayer copies the window of bottom 0 that starts at the per-axis
// offsets and has the top's shape (Caffe's crop_layer: axes before `axis`
// are kept whole; one offset applies to every axis from `axis` on, or one
// offset per such axis; none means 0).
type cropLayer struct {
	ioSizes
	in, out graph.Shape
	offsets []int
}

func newCrop(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	op, err := coreOp[*graph.Crop](n)
	if err != nil {
		return nil, err
	}
	if err := coreArity(n, in, out, 2, 2, 1, 1); err != nil {
		return nil, err
	}
	rank := len(in[0])
	axis, err := graph.CanonicalAxis(op.Axis, rank)
	if err != nil {
		return nil, coreErr(n, "axis", "%v", err)
	}
	if len(op.Offsets) > 1 && len(op.Offsets) != rank-axis {
		return nil, coreErr(n, "offset", "%d offsets given for the %d axes from axis %d", len(op.Offsets), rank-axis, axis)
	}
	if len(out[0]) != rank {
		return nil, coreErr(n, "top[0]", "inferred shape %v has a different rank than bottom %v", out[0], in[0])
	}
	l := &cropLayer{ioSizes: newIOSizes(in, out), in: in[0], out: out[0], offsets: make([]int, rank)}
	for i := axis; i < rank; i++ {
		switch len(op.Offsets) {
		case 0:
		case 1:
			l.offsets[i] = op.Offsets[0]
		default:
			l.offsets[i] = op.Offsets[i-axis]
		}
	}
	for i := 0; i < rank; i++ {
		if l.offsets[i] < 0 || l.offsets[i]+out[0][i] > in[0][i] {
			return nil, coreErr(n, "offset", "crop of %d at offset %d along axis %d does not fit bottom %v", out[0][i], l.offsets[i], i, in[0])
		}
	}
	return l, nil
}

func (l *cropLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	rank := len(l.out)
	if rank == 0 || l.out.Count() == 0 {
		if rank == 0 {
			copy(tops[0].Data, bottoms[0].Data)
		}
		return nil
	}
	// Walk every top row (all axes but the last) and copy it whole.
	idx := make([]int, rank-1)
	row := l.out[rank-1]
	src, dst := bottoms[0].Data, tops[0].Data
	for d := 0; ; d += row {
		s := 0
		for a := 0; a < rank-1; a++ {
			s = s*l.in[a] + idx[a] + l.offsets[a]
		}
		s = s*l.in[rank-1] + l.offsets[rank-1]
		copy(dst[d:d+row], src[s:s+row])
		a := rank - 2
		for ; a >= 0; a-- {
			idx[a]++
			if idx[a] < l.out[a] {
				break
			}
			idx[a] = 0
		}
		if a < 0 {
			return nil
		}
	}
}

// batchReindexLayer gathers items along axis 0: top[i] = bottom0[idx[i]]
// with idx = bottom1 truncated to int, as Caffe's static_cast does.
type batchReindexLayer struct {
	ioSizes
	items, inner int
}

func newBatchReindex(n *graph.Node, in, out []graph.Shape) (Layer, error) {
	if err := coreArity(n, in, out, 2, 2, 1, 1); err != nil {
		return nil, err
	}
	if len(in[0]) < 1 || len(in[1]) != 1 || len(out[0]) != len(in[0]) || out[0][0] != in[1][0] {
		return nil, coreErr(n, "top[0]", "inferred shape %v does not fit data %v reindexed by %v", out[0], in[0], in[1])
	}
	return &batchReindexLayer{ioSizes: newIOSizes(in, out), items: in[0][0], inner: in[0].CountRange(1, len(in[0]))}, nil
}

func (l *batchReindexLayer) Forward(bottoms, tops []*graph.Tensor) error {
	if err := l.check(bottoms, tops); err != nil {
		return err
	}
	for i, f := range bottoms[1].Data {
		// Compare as float first: NaN and huge values must not reach int.
		// (-1, 0) truncates to 0, which an empty batch does not have.
		if !(f > -1 && f < float32(l.items)) || int(f) >= l.items {
			return fmt.Errorf("index %v at position %d is outside [0, %d)", f, i, l.items)
		}
		src := int(f)
		copy(tops[0].Data[i*l.inner:(i+1)*l.inner], bottoms[0].Data[src*l.inner:(src+1)*l.inner])
	}
	return nil
}
