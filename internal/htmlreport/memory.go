package htmlreport

import "github.com/caffetool/caffetool/graph"

// peakActivation is the most activation memory live at once when the
// layers run in order, in bytes (float32), and the layer at which it is
// reached (-1 for an empty net). A blob lives from the layer that first
// produces it to the last layer that reads any of its versions; in-place
// versions share one buffer, sized by the largest version. Blobs nothing
// reads are the net's outputs and live to the end. Blobs of unknown shape
// count as 0.
func peakActivation(g *graph.Graph) (int64, int) {
	type buf struct {
		bytes      int64
		start, end int
	}
	last := len(g.Nodes) - 1
	bufs := map[string]*buf{}
	var order []string
	for _, v := range g.Values {
		if v == nil || v.Producer == nil {
			continue
		}
		b := bufs[v.Blob]
		if b == nil {
			b = &buf{start: v.Producer.Index, end: v.Producer.Index}
			bufs[v.Blob] = b
			order = append(order, v.Blob)
		}
		if n, ok := v.Shape.Count64(); ok && v.Shape != nil && 4*n > b.bytes {
			b.bytes = 4 * n
		}
		b.end = max(b.end, v.Producer.Index)
		if len(v.Consumers) == 0 && g.Blob(v.Blob) == v {
			b.end = last
		}
		for _, c := range v.Consumers {
			if c != nil {
				b.end = max(b.end, c.Index)
			}
		}
	}
	// Sweep: +bytes at start, −bytes after end.
	delta := make([]int64, len(g.Nodes)+1)
	for _, name := range order {
		b := bufs[name]
		if b.start < 0 || b.start > last {
			continue
		}
		delta[b.start] += b.bytes
		delta[min(b.end, last)+1] -= b.bytes
	}
	var live, peak int64
	at := -1
	for i := 0; i < len(g.Nodes); i++ {
		live += delta[i]
		if at < 0 || live > peak {
			peak, at = live, i
		}
	}
	return peak, at
}
