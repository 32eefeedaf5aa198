package htmlreport

import (
	"fmt"
	"sort"
)

// route computes every edge's polyline: down from the source's output
// port to the bottom of its rank, through each dummy (straight down its
// rank), into the target's input port. Input ports are spread over the
// target's top in the order the edges arrive from, so they do not cross.
func (l *layout) route() {
	in := map[*box][]*edge{}
	for _, t := range l.trunks {
		for _, d := range t.targets {
			e := &edge{tr: t, dst: d}
			src := t.src
			ox := src.x + src.w*(float64(t.port+1)/float64(len(src.ports)+1)-0.5)
			e.pts = append(e.pts, point{ox, src.y + src.h}, point{ox, l.rankY[src.rank] + l.rankH[src.rank]})
			for r := src.rank + 1; r < d.rank; r++ {
				x := l.items[t.at(r)].x
				e.pts = append(e.pts, point{x, l.rankY[r]}, point{x, l.rankY[r] + l.rankH[r]})
			}
			l.edges = append(l.edges, e)
			in[d] = append(in[d], e)
		}
	}
	for _, d := range l.boxes {
		es := in[d]
		sort.SliceStable(es, func(a, b int) bool { return es[a].pts[len(es[a].pts)-1].x < es[b].pts[len(es[b].pts)-1].x })
		for j, e := range es {
			x := d.x + 0.8*d.w*(float64(j+1)/float64(len(es)+1)-0.5)
			e.pts = append(e.pts, point{x, d.y})
		}
	}
}

// overlaps lists pairs of boxes whose rectangles intersect, and dummies
// (edges passing a rank) that run through a box.
func (l *layout) overlaps() []string {
	var out []string
	for i, a := range l.items {
		for _, b := range l.items[i+1:] {
			if a.rank != b.rank && (a.box == nil || b.box == nil) {
				continue
			}
			ax0, ax1, ay0, ay1 := l.rect(a)
			bx0, bx1, by0, by1 := l.rect(b)
			if ax0 < bx1 && bx0 < ax1 && ay0 < by1 && by0 < ay1 {
				out = append(out, fmt.Sprintf("%s overlaps %s", l.itemName(a), l.itemName(b)))
			}
		}
	}
	return out
}

func (l *layout) rect(it *item) (x0, x1, y0, y1 float64) {
	if it.box != nil {
		b := it.box
		return b.x - b.w/2, b.x + b.w/2, b.y, b.y + b.h
	}
	return it.x - it.w/2, it.x + it.w/2, l.rankY[it.rank], l.rankY[it.rank] + l.rankH[it.rank]
}

func (l *layout) itemName(it *item) string {
	if it.box != nil {
		return fmt.Sprintf("node %q", it.box.nodes[0].Name)
	}
	return fmt.Sprintf("edge at rank %d", it.rank)
}
