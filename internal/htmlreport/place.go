package htmlreport

import "math"

// sep is the least distance between the centres of neighbours a and b.
func (l *layout) sep(a, b int) float64 {
	ia, ib := l.items[a], l.items[b]
	g := dummyGap
	if ia.box != nil && ib.box != nil {
		g = boxGap
	}
	return ia.w/2 + ib.w/2 + g
}

// place assigns x coordinates minimising Σ ω·(x_u − x_v)² over all item
// links, subject to each rank's order and gaps (so boxes never overlap).
// The problem is convex; block coordinate descent rank by rank, each rank
// solved exactly by fitOrdered, converges to its optimum. Unlike sweeps
// that only look upwards, this does not drift sideways down a deep net.
// ω is 8 between dummies, which keeps long edges straight, and 1 for
// links that touch a box (as in Gansner et al., except that box–dummy
// links weigh 1, not 2: with 2, the bypass edge of every GoogLeNet
// inception block pulls its concat sideways and the net slants).
func (l *layout) place() {
	for _, ids := range l.ranks {
		x := 0.0
		for i, id := range ids {
			if i > 0 {
				x += l.sep(ids[i-1], id)
			}
			l.items[id].x = x
		}
	}
	for it := 0; it < 200; it++ {
		moved := 0.0
		for r := 0; r < len(l.ranks); r++ {
			moved = math.Max(moved, l.fitRank(r))
		}
		for r := len(l.ranks) - 1; r >= 0; r-- {
			moved = math.Max(moved, l.fitRank(r))
		}
		if moved < 0.05 {
			break
		}
	}
	minX := math.Inf(1)
	for _, it := range l.items {
		minX = math.Min(minX, it.x-it.w/2)
	}
	for _, it := range l.items {
		it.x += margin - minX
		l.width = math.Max(l.width, it.x+it.w/2+margin)
	}

	l.rankY = make([]float64, len(l.ranks))
	l.rankH = make([]float64, len(l.ranks))
	y := margin
	for r, ids := range l.ranks {
		for _, id := range ids {
			if b := l.items[id].box; b != nil {
				l.rankH[r] = math.Max(l.rankH[r], b.h)
			}
		}
		l.rankY[r] = y
		y += l.rankH[r] + rankGap
	}
	l.height = y - rankGap + margin
	for _, b := range l.boxes {
		it := l.items[b.item]
		b.x, b.y = it.x, l.rankY[b.rank]
	}
}

// omega weighs the link between items a and b.
func (l *layout) omega(a, b *item) float64 {
	switch {
	case a.box == nil && b.box == nil:
		return 8
	case a.box == nil || b.box == nil:
		return 1
	}
	return 1
}

// fitRank moves rank r to its optimum given the other ranks and returns
// the largest move.
func (l *layout) fitRank(r int) float64 {
	ids := l.ranks[r]
	want := make([]float64, len(ids))
	weight := make([]float64, len(ids))
	gap := make([]float64, len(ids))
	for i, id := range ids {
		it := l.items[id]
		s, w := 0.0, 0.0
		for _, nb := range [2][]int{it.preds, it.succs} {
			for _, n := range nb {
				o := l.omega(it, l.items[n])
				s += o * l.items[n].x
				w += o
			}
		}
		if w == 0 {
			want[i], weight[i] = it.x, 0.01
		} else {
			want[i], weight[i] = s/w, w
		}
		if i+1 < len(ids) {
			gap[i] = l.sep(id, ids[i+1])
		}
	}
	moved := 0.0
	for i, x := range fitOrdered(want, weight, gap) {
		it := l.items[ids[i]]
		moved = math.Max(moved, math.Abs(x-it.x))
		it.x = x
	}
	return moved
}

// fitOrdered minimises Σ weight·(x−want)² subject to x[i+1]−x[i] ≥ gap[i]:
// with y[i] = x[i] − Σ_{j<i} gap[j] this is isotonic regression, solved
// exactly by pooling adjacent violators.
func fitOrdered(want, weight, gap []float64) []float64 {
	n := len(want)
	off := make([]float64, n)
	for i := 1; i < n; i++ {
		off[i] = off[i-1] + gap[i-1]
	}
	type block struct {
		w, wy      float64
		start, end int
	}
	var st []block
	for i := 0; i < n; i++ {
		b := block{weight[i], weight[i] * (want[i] - off[i]), i, i + 1}
		for len(st) > 0 {
			p := st[len(st)-1]
			if p.wy/p.w < b.wy/b.w {
				break
			}
			b = block{p.w + b.w, p.wy + b.wy, p.start, b.end}
			st = st[:len(st)-1]
		}
		st = append(st, b)
	}
	x := make([]float64, n)
	for _, b := range st {
		m := b.wy / b.w
		for i := b.start; i < b.end; i++ {
			x[i] = m + off[i]
		}
	}
	return x
}
