package graph

import "fmt"

// ---- Concat ----

func (o *Concat) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: all dims except the axis must agree; the axis dims add up.
func (o *Concat) infer(in []Shape, n int) ([]Shape, error) {
	axis, err := CanonicalAxis(o.Axis, len(in[0]))
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	top := in[0].Clone()
	for i := 1; i < len(in); i++ {
		if len(in[i]) != len(in[0]) {
			return nil, ferr(fmt.Sprintf("bottom[%d]", i), "all inputs must have the same number of axes: %v vs bottom[0] %v", in[i], in[0])
		}
		for j := range in[i] {
			if j != axis && in[i][j] != in[0][j] {
				return nil, ferr(fmt.Sprintf("bottom[%d]", i), "all inputs must have the same shape except at concat axis %d: %v vs bottom[0] %v", axis, in[i], in[0])
			}
		}
		top[axis] += in[i][axis]
	}
	return []Shape{top}, nil
}

// ---- Slice ----

func (o *Slice) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: slice points cut the axis into len(points)+1 parts; without
// points the axis is split evenly between the tops.
func (o *Slice) infer(in []Shape, n int) ([]Shape, error) {
	axis, err := CanonicalAxis(o.Axis, len(in[0]))
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	dim := in[0][axis]
	out := make([]Shape, n)
	if len(o.SlicePoints) == 0 {
		if dim%n != 0 {
			return nil, ferr("top", "%d tops do not evenly divide the slice axis (size %d)", n, dim)
		}
		return same(withDim(in[0], axis, dim/n), n), nil
	}
	if len(o.SlicePoints) != n-1 {
		return nil, ferr("slice_point", "%d slice points need %d tops, got %d", len(o.SlicePoints), len(o.SlicePoints)+1, n)
	}
	prev := 0
	for i, p := range o.SlicePoints {
		if p <= prev || p >= dim {
			return nil, ferr("slice_point", "slice_point[%d] = %d out of range: points must increase strictly within (0, %d)", i, p, dim)
		}
		out[i] = withDim(in[0], axis, p-prev)
		prev = p
	}
	out[n-1] = withDim(in[0], axis, dim-prev)
	return out, nil
}

func withDim(s Shape, axis, d int) Shape {
	c := s.Clone()
	c[axis] = d
	return c
}

// ---- Split and Silence ----

func (o *Split) InferShapes(in []Shape, n int) ([]Shape, error)   { return checked(o, in, n) }
func (o *Split) infer(in []Shape, n int) ([]Shape, error)         { return same(in[0], n), nil }
func (o *Silence) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }
func (o *Silence) infer(in []Shape, n int) ([]Shape, error)       { return []Shape{}, nil }

// ---- Flatten ----

func (o *Flatten) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: axes axis..end_axis (inclusive) collapse into one.
func (o *Flatten) infer(in []Shape, n int) ([]Shape, error) {
	s := in[0]
	start, err := CanonicalAxis(o.Axis, len(s))
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	end, err := CanonicalAxis(o.EndAxis, len(s))
	if err != nil {
		return nil, ferr("end_axis", "%v", err)
	}
	if end+1 < start {
		return nil, ferr("end_axis", "end_axis %d comes before axis %d", end, start)
	}
	top := append(Shape{}, s[:start]...)
	top = append(top, s.CountRange(start, end+1))
	top = append(top, s[end+1:]...)
	return []Shape{top}, nil
}

// ---- Reshape ----

func (o *Reshape) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: the dims replace in[axis : axis+num_axes]; 0 copies the bottom
// dim at the same position, one -1 takes whatever makes the counts agree.
func (o *Reshape) infer(in []Shape, n int) ([]Shape, error) {
	s := in[0]
	rank := len(s)
	inferred := -1
	var copies []int
	constant := int64(1)
	for i, d := range o.Dims {
		switch {
		case d == 0:
			copies = append(copies, i)
		case d == -1:
			if inferred >= 0 {
				return nil, ferr("shape", "new shape contains multiple -1 dims (%d and %d); at most one may be specified", inferred, i)
			}
			inferred = i
		case d < -1:
			return nil, ferr("shape", "dim %d is %d; dims must be positive, 0 (copy) or -1 (infer)", i, d)
		default:
			var ok bool
			if constant, ok = mul64(constant, int64(d)); !ok || constant > MaxElements {
				return nil, ferr("shape", "product of the dims %v is too large", o.Dims)
			}
		}
	}
	start := o.Axis
	if start < 0 {
		start = rank + o.Axis + 1
	}
	if start < 0 || start > rank {
		return nil, ferr("axis", "axis %d out of range for a %d-axis bottom", o.Axis, rank)
	}
	if o.NumAxes < -1 {
		return nil, ferr("num_axes", "must be >= 0, or -1 for all; got %d", o.NumAxes)
	}
	end := rank
	if o.NumAxes >= 0 {
		end = start + o.NumAxes
	}
	if end > rank {
		return nil, ferr("num_axes", "axis + num_axes = %d is out of range for a %d-axis bottom", end, rank)
	}
	top := append(Shape{}, s[:start]...)
	top = append(top, o.Dims...)
	top = append(top, s[end:]...)
	for _, c := range copies {
		if start+c >= rank {
			return nil, ferr("shape", "new shape contains a 0 at position %d, but there is no corresponding bottom axis to copy", c)
		}
		top[start+c] = s[start+c]
	}
	count := int64(s.Count())
	if inferred >= 0 {
		explicit := constant
		others := append(Shape{}, s[:start]...)
		others = append(others, s[end:]...)
		for _, c := range copies {
			others = append(others, top[start+c])
		}
		for _, d := range others {
			var ok bool
			if explicit, ok = mul64(explicit, int64(d)); !ok {
				return nil, ferr("shape", "product of the specified dimensions overflows")
			}
		}
		if explicit == 0 || count%explicit != 0 {
			return nil, ferr("shape", "bottom count %d is not divisible by the product of the specified dimensions (%d)", count, explicit)
		}
		top[start+inferred] = int(count / explicit)
	}
	if got, ok := top.Count64(); !ok || got != count {
		return nil, ferr("shape", "output shape %v has a different count than the bottom %v (%d elements)", top, s, count)
	}
	return []Shape{top}, nil
}

// ---- Crop ----

func (o *Crop) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: axes from axis on take bottom[1]'s size; offsets are given once
// (for all cropped axes), once per cropped axis, or not at all (0).
func (o *Crop) infer(in []Shape, n int) ([]Shape, error) {
	rank := len(in[0])
	start, err := CanonicalAxis(o.Axis, rank)
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	if len(o.Offsets) > 1 && start+len(o.Offsets) != rank {
		return nil, ferr("offset", "%d offsets given, but %d axes follow axis %d: give one offset, or one per cropped axis", len(o.Offsets), rank-start, start)
	}
	if len(in[1]) < rank {
		return nil, ferr("bottom[1]", "reference shape %v has fewer axes than the cropped blob %v", in[1], in[0])
	}
	top := in[0].Clone()
	for i := start; i < rank; i++ {
		off := 0
		switch len(o.Offsets) {
		case 0:
		case 1:
			off = o.Offsets[0]
		default:
			off = o.Offsets[i-start]
		}
		if off < 0 {
			return nil, ferr("offset", "offset %d for axis %d is negative", off, i)
		}
		if in[0][i]-off < in[1][i] {
			return nil, ferr("offset", "the crop of axis %d is out of bounds: size %d at offset %d does not fit in %d", i, in[1][i], off, in[0][i])
		}
		top[i] = in[1][i]
	}
	return []Shape{top}, nil
}

// ---- Tile ----

func (o *Tile) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }
func (o *Tile) infer(in []Shape, n int) ([]Shape, error) {
	axis, err := CanonicalAxis(o.Axis, len(in[0]))
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	if o.Tiles <= 0 {
		return nil, ferr("tiles", "number of tiles must be positive, got %d", o.Tiles)
	}
	d, err := dimProduct("tiles", in[0][axis], o.Tiles)
	if err != nil {
		return nil, err
	}
	return []Shape{withDim(in[0], axis, d)}, nil
}

// ---- Reduction ----

func (o *Reduction) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: all axes from axis on are reduced away: in[:axis] (a scalar for
// axis 0).
func (o *Reduction) infer(in []Shape, n int) ([]Shape, error) {
	axis, err := CanonicalAxis(o.Axis, len(in[0]))
	if err != nil {
		return nil, ferr("axis", "%v", err)
	}
	if o.Operation < ReduceSum || o.Operation > ReduceMean {
		return nil, ferr("operation", "unknown reduction operation %d", int(o.Operation))
	}
	return []Shape{append(Shape{}, in[0][:axis]...)}, nil
}

// ---- ArgMax ----

func (o *ArgMax) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: with an axis, the axis becomes top_k; without, the top is
// [N, 1 (2 with out_max_val), top_k] padded with 1s to the bottom's rank.
func (o *ArgMax) infer(in []Shape, n int) ([]Shape, error) {
	s := in[0]
	if o.TopK < 1 {
		return nil, ferr("top_k", "must be at least 1, got %d", o.TopK)
	}
	if o.HasAxis {
		axis, err := CanonicalAxis(o.Axis, len(s))
		if err != nil {
			return nil, ferr("axis", "%v", err)
		}
		if o.TopK > s[axis] {
			return nil, ferr("top_k", "top_k %d exceeds the size %d of axis %d", o.TopK, s[axis], axis)
		}
		return []Shape{withDim(s, axis, o.TopK)}, nil
	}
	if len(s) < 1 {
		return nil, ferr("bottom[0]", "ArgMax needs a bottom with at least one axis")
	}
	if o.TopK > s.CountRange(1, len(s)) {
		return nil, ferr("top_k", "top_k %d exceeds the flattened size %d of each instance", o.TopK, s.CountRange(1, len(s)))
	}
	top := make(Shape, max(len(s), 3))
	for i := range top {
		top[i] = 1
	}
	top[0] = s[0]
	top[2] = o.TopK
	if o.OutMaxVal {
		top[1] = 2
	}
	return []Shape{top}, nil
}

// ---- BatchReindex and Filter ----

func (o *BatchReindex) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: [len(permutation)] + data[1:].
func (o *BatchReindex) infer(in []Shape, n int) ([]Shape, error) {
	if len(in[1]) != 1 {
		return nil, ferr("bottom[1]", "the index blob must have exactly one axis, got %v", in[1])
	}
	if len(in[0]) < 1 {
		return nil, ferr("bottom[0]", "needs at least one axis")
	}
	return []Shape{withDim(in[0], 0, in[1][0])}, nil
}

func (o *Filter) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// infer: the last bottom selects items along axis 0. How many pass is only
// known when the net runs; like Caffe's first Reshape, the tops start with
// the bottoms' shapes.
func (o *Filter) infer(in []Shape, n int) ([]Shape, error) {
	sel := in[len(in)-1]
	if len(sel) < 1 {
		return nil, ferr("bottom", "the selector blob needs at least one axis")
	}
	for i := 1; i < len(sel); i++ {
		if sel[i] != 1 {
			return nil, ferr("bottom", "selector blob dimensions must be 1 except the first, got %v", sel)
		}
	}
	out := make([]Shape, n)
	for i := 0; i < n; i++ {
		if len(in[i]) < 1 || in[i][0] != sel[0] {
			return nil, ferr(fmt.Sprintf("bottom[%d]", i), "shape %v must have the selector's first dimension %d", in[i], sel[0])
		}
		out[i] = in[i].Clone()
	}
	return out, nil
}

// ---- Permute (SSD) ----

func (o *Permute) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }

// Perm expands Order for a blob of the given rank: the listed axes first,
// then the others in their order.
func (o *Permute) Perm(rank int) ([]int, error) {
	seen := make([]bool, rank)
	perm := make([]int, 0, rank)
	for _, a := range o.Order {
		if a < 0 || a >= rank {
			return nil, ferr("order", "axis %d out of range for a %d-axis bottom", a, rank)
		}
		if seen[a] {
			return nil, ferr("order", "axis %d listed twice in %v", a, o.Order)
		}
		seen[a] = true
		perm = append(perm, a)
	}
	for a := 0; a < rank; a++ {
		if !seen[a] {
			perm = append(perm, a)
		}
	}
	return perm, nil
}

func (o *Permute) infer(in []Shape, n int) ([]Shape, error) {
	perm, err := o.Perm(len(in[0]))
	if err != nil {
		return nil, err
	}
	top := make(Shape, len(perm))
	for i, a := range perm {
		top[i] = in[0][a]
	}
	return []Shape{top}, nil
}

// ---- ShuffleChannel ----

func (o *ShuffleChannel) InferShapes(in []Shape, n int) ([]Shape, error) { return checked(o, in, n) }
func (o *ShuffleChannel) infer(in []Shape, n int) ([]Shape, error) {
	_, c, _, _, err := legacy4(in[0], "bottom[0]")
	if err != nil {
		return nil, err
	}
	if o.Group <= 0 {
		return nil, ferr("group", "must be positive, got %d", o.Group)
	}
	if c%o.Group != 0 {
		return nil, ferr("group", "group %d does not divide the %d channels", o.Group, c)
	}
	return same(in[0], 1), nil
}
