package htmlreport

import (
	"math"
	"unicode/utf8"

	"github.com/caffetool/caffetool/graph"
)

// Geometry of the drawing, in CSS pixels. Node text is an 11px monospace
// font, so a line's width is known here without measuring it in a browser.
const (
	charW    = 6.7
	lineH    = 14.0
	padX     = 8.0
	padY     = 5.0
	minBoxW  = 80.0
	rankGap  = 50.0 // between ranks: room for the edge labels and curves
	boxGap   = 28.0 // between neighbouring boxes of a rank
	dummyGap = 14.0 // between edges passing a rank, and from them to boxes
	margin   = 24.0
	maxChars = 44 // longer lines are clipped in the node; the tooltip has them whole
)

// line is one text line of a box.
type line struct {
	text  string
	class string // "nm" layer name, "ty" type and key parameters, "ch" folded in-place layer
	layer int    // index of the node the line describes
}

// item is a box or a dummy (one rank of an edge that spans several ranks)
// in the layered drawing.
type item struct {
	box          *box // nil for a dummy
	rank         int
	pos          int // index in its rank's order
	seq          int // depth-first visit number, for the initial order
	w, x         float64
	preds, succs []int
}

// trunk is one value leaving a box for the boxes that read it. Its dummies
// (one per rank it passes) are shared by all those edges, so a blob read
// far below (SSD's data feeding each PriorBox) is drawn as one line.
type trunk struct {
	src     *box
	val     *graph.Value
	port    int
	dummies []int // item ids at ranks src.rank+1, src.rank+2, ...
	targets []*box
}

// edge is a trunk's route to one of its targets.
type edge struct {
	tr  *trunk
	dst *box
	pts []point // see route
}

type point struct{ x, y float64 }

type layout struct {
	boxes         []*box
	boxOf         []*box // indexed like the graph's nodes
	items         []*item
	ranks         [][]int // item ids per rank, in drawing order
	trunks        []*trunk
	edges         []*edge
	rankY, rankH  []float64
	width, height float64
}

// computeLayout lays the graph out top to bottom: boxes with folded
// in-place chains, longest-path ranks, barycentric ordering and
// overlap-free coordinates.
func computeLayout(g *graph.Graph) *layout {
	l := &layout{}
	l.boxes, l.boxOf = buildBoxes(g)
	for _, b := range l.boxes {
		b.lines = boxLines(b)
		w := 0
		for _, ln := range b.lines {
			w = max(w, utf8.RuneCountInString(ln.text))
		}
		b.w = math.Max(minBoxW, math.Ceil(float64(w)*charW+2*padX))
		b.h = float64(len(b.lines))*lineH + 2*padY
	}
	l.buildTrunks()
	l.assignRanks()
	l.buildItems()
	l.order()
	l.place()
	l.route()
	return l
}

func boxLines(b *box) []line {
	lead := b.nodes[0]
	ty := lead.Type
	if k := keyParams(lead.Op); k != "" {
		ty += " " + k
	}
	lines := []line{{clipText(lead.Name, maxChars), "nm", lead.Index}, {clipText(ty, maxChars), "ty", lead.Index}}
	for _, n := range b.nodes[1:] {
		s := "+ " + n.Type + " " + n.Name
		if k := keyParams(n.Op); k != "" {
			s += " " + k
		}
		lines = append(lines, line{clipText(s, maxChars), "ch", n.Index})
	}
	return lines
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// buildTrunks finds, for every value a box produces, the other boxes that
// read it. Each such value becomes one output port of its box.
func (l *layout) buildTrunks() {
	for _, b := range l.boxes {
		for _, n := range b.nodes {
			for _, v := range n.Tops {
				if v == nil {
					continue
				}
				var targets []*box
				seen := map[*box]bool{b: true}
				for _, c := range v.Consumers {
					if c == nil || c.Index < 0 || c.Index >= len(l.boxOf) {
						continue
					}
					if d := l.boxOf[c.Index]; !seen[d] {
						seen[d] = true
						targets = append(targets, d)
					}
				}
				if len(targets) == 0 {
					continue
				}
				t := &trunk{src: b, val: v, port: len(b.ports), targets: targets}
				b.ports = append(b.ports, t)
				l.trunks = append(l.trunks, t)
			}
		}
	}
}

// assignRanks puts every box one rank below its lowest input (longest path
// from the sources), then moves sources (boxes without inputs) down to
// just above their first reader, so a second input does not hang at the
// top with a long edge.
func (l *layout) assignRanks() {
	for _, b := range l.boxes {
		b.rank = 0
	}
	hasInput := make([]bool, len(l.boxes))
	// Boxes are in topological order, and so are trunks (by source box).
	for _, b := range l.boxes {
		for _, t := range b.ports {
			for _, d := range t.targets {
				d.rank = max(d.rank, b.rank+1)
				hasInput[d.id] = true
			}
		}
	}
	for _, b := range l.boxes {
		if hasInput[b.id] || len(b.ports) == 0 {
			continue
		}
		lowest := math.MaxInt
		for _, t := range b.ports {
			for _, d := range t.targets {
				lowest = min(lowest, d.rank)
			}
		}
		b.rank = max(b.rank, lowest-1)
	}
}

// buildItems makes one item per box (item id = box id) and one dummy per
// rank a trunk passes, and links them.
func (l *layout) buildItems() {
	nr := 0
	for _, b := range l.boxes {
		b.item = len(l.items)
		l.items = append(l.items, &item{box: b, rank: b.rank, w: b.w})
		nr = max(nr, b.rank+1)
	}
	link := func(a, b int) {
		l.items[a].succs = append(l.items[a].succs, b)
		l.items[b].preds = append(l.items[b].preds, a)
	}
	for _, t := range l.trunks {
		deepest := 0
		for _, d := range t.targets {
			deepest = max(deepest, d.rank)
		}
		prev := t.src.item
		for r := t.src.rank + 1; r < deepest; r++ {
			id := len(l.items)
			l.items = append(l.items, &item{rank: r, w: 2})
			t.dummies = append(t.dummies, id)
			link(prev, id)
			prev = id
		}
		for _, d := range t.targets {
			link(t.at(d.rank-1), d.item)
		}
	}
	l.ranks = make([][]int, nr)
	for id, it := range l.items {
		l.ranks[it.rank] = append(l.ranks[it.rank], id)
	}
}

// at is the trunk's item at rank r (its source box or a dummy).
func (t *trunk) at(r int) int {
	if r == t.src.rank {
		return t.src.item
	}
	return t.dummies[r-t.src.rank-1]
}
