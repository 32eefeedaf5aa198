package htmlreport

import "sort"

// order sorts the ranks to reduce edge crossings: a depth-first initial
// order, then barycentric sweeps down and up, each followed by swapping
// neighbours while that helps, keeping the best order found.
func (l *layout) order() {
	seq := 0
	seen := make([]bool, len(l.items))
	visit := func(id int) {
		// Explicit stack: deep nets (hundreds of ranks) must not recurse deeply.
		stack := []int{id}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[id] {
				continue
			}
			seen[id] = true
			l.items[id].seq = seq
			seq++
			s := l.items[id].succs
			for i := len(s) - 1; i >= 0; i-- {
				if !seen[s[i]] {
					stack = append(stack, s[i])
				}
			}
		}
	}
	for id, it := range l.items {
		if len(it.preds) == 0 {
			visit(id)
		}
	}
	for id := range l.items {
		visit(id)
	}
	for _, ids := range l.ranks {
		sort.SliceStable(ids, func(a, b int) bool { return l.items[ids[a]].seq < l.items[ids[b]].seq })
		l.renumber(ids)
	}

	l.transpose()
	best := l.snapshot()
	bestC := l.crossings()
	for it := 0; it < 12 && bestC > 0; it++ {
		for r := 1; r < len(l.ranks); r++ {
			l.sortByBarycenter(r, true)
		}
		for r := len(l.ranks) - 2; r >= 0; r-- {
			l.sortByBarycenter(r, false)
		}
		l.transpose()
		if c := l.crossings(); c < bestC {
			bestC, best = c, l.snapshot()
		}
	}
	for r, ids := range best {
		copy(l.ranks[r], ids)
		l.renumber(l.ranks[r])
	}
}

func (l *layout) renumber(ids []int) {
	for i, id := range ids {
		l.items[id].pos = i
	}
}

func (l *layout) snapshot() [][]int {
	s := make([][]int, len(l.ranks))
	for r, ids := range l.ranks {
		s[r] = append([]int(nil), ids...)
	}
	return s
}

// sortByBarycenter orders rank r by the mean position of each item's
// neighbours in the rank above (up) or below; items without such
// neighbours keep their place.
func (l *layout) sortByBarycenter(r int, up bool) {
	ids := l.ranks[r]
	key := make(map[int]float64, len(ids))
	for _, id := range ids {
		it := l.items[id]
		nb := it.succs
		if up {
			nb = it.preds
		}
		if len(nb) == 0 {
			key[id] = float64(it.pos)
			continue
		}
		s := 0.0
		for _, n := range nb {
			s += float64(l.items[n].pos)
		}
		key[id] = s / float64(len(nb))
	}
	sort.SliceStable(ids, func(a, b int) bool { return key[ids[a]] < key[ids[b]] })
	l.renumber(ids)
}

// crossings counts pairs of item links that cross between adjacent ranks.
func (l *layout) crossings() int {
	total := 0
	for _, ids := range l.ranks {
		var links [][2]int
		for _, id := range ids {
			for _, s := range l.items[id].succs {
				links = append(links, [2]int{l.items[id].pos, l.items[s].pos})
			}
		}
		for i := range links {
			for j := i + 1; j < len(links); j++ {
				a, b := links[i], links[j]
				if (a[0]-b[0])*(a[1]-b[1]) < 0 {
					total++
				}
			}
		}
	}
	return total
}

// transpose swaps neighbours in a rank while that removes crossings with
// the ranks above and below (the local refinement of Gansner et al.).
func (l *layout) transpose() {
	improved := true
	for pass := 0; improved && pass < 10; pass++ {
		improved = false
		for _, ids := range l.ranks {
			for i := 0; i+1 < len(ids); i++ {
				u, v := ids[i], ids[i+1]
				if l.pairCrossings(v, u) < l.pairCrossings(u, v) {
					ids[i], ids[i+1] = v, u
					l.items[u].pos, l.items[v].pos = i+1, i
					improved = true
				}
			}
		}
	}
}

// pairCrossings counts the crossings between the links of u and those of
// v when u is left of v: links to a and b cross when a is right of b.
func (l *layout) pairCrossings(u, v int) int {
	iu, iv := l.items[u], l.items[v]
	c := 0
	for _, nb := range [2][2][]int{{iu.preds, iv.preds}, {iu.succs, iv.succs}} {
		for _, a := range nb[0] {
			for _, b := range nb[1] {
				if l.items[a].pos > l.items[b].pos {
					c++
				}
			}
		}
	}
	return c
}
