package exec

import "github.com/caffetool/caffetool/graph"

// nodeKind is how the runtime treats one node when it plans buffers.
type nodeKind uint8

const (
	// kindRun: the layer runs and its tops get buffers no live value uses.
	kindRun nodeKind = iota
	// kindInPlace: the layer runs and tolerates a top sharing its bottom's
	// buffer (element-wise), so a top may take over the buffer of the
	// bottom with the same blob name when nothing else needs that value.
	kindInPlace
	// kindView: the layer only copies (Reshape, Flatten, Split, Dropout
	// at test time); it does not run and each top is its source bottom's
	// buffer. A Concat becomes one when its bottoms are written straight
	// into its output (concatViews).
	kindView
	// kindFused: computed inside its producer's output pass (a ReLU after
	// a convolution); it does not run and its top is its bottom's buffer.
	kindFused
	// kindInput: tops filled by Forward; they keep their buffers, which no
	// other value may reuse or overwrite (inputs not given to Forward keep
	// their contents).
	kindInput
)

// nodeKindOf classifies a built layer.
func nodeKindOf(n *graph.Node, l Layer) nodeKind {
	switch n.Op.(type) {
	case *graph.Input, *graph.DataSource:
		return kindInput
	}
	switch l.(type) {
	case *copyLayer:
		return kindView
	case *unaryLayer, *preluLayer, *batchNormLayer, *scaleBiasLayer, *dropoutScaleLayer, *eltwiseLayer:
		// Each output value depends only on the input values at the same
		// index, read before it is written (these kernels say so).
		return kindInPlace
	}
	return kindRun
}

// viewSource is the bottom whose buffer top i of a view node shares.
func viewSource(n *graph.Node, l Layer, i int) *graph.Value {
	if c, ok := l.(*copyLayer); ok && !c.fanOut {
		return n.Bottoms[i]
	}
	return n.Bottoms[0]
}

// memPlan assigns every value a buffer ("slot"). A value holds its slot
// from the node that produces it until the last node that reads it has
// run (for ever if it is kept); a slot no live value holds is reused by
// the next value that needs one, the closest in size first.
type memPlan struct {
	slot  map[*graph.Value]int
	off   map[*graph.Value]int // start within the slot (0 when absent)
	sizes []int                // elements per slot
}

// bytes is the total size of the planned buffers.
func (p *memPlan) bytes() int64 {
	var n int64
	for _, s := range p.sizes {
		n += 4 * int64(s)
	}
	return n
}

// planMemory walks the nodes in order. kept values are never overwritten:
// their slots are pinned from the moment they are produced.
// Values in views (concatViews) live inside their Concat's output, which
// takes its slot when the first of them is produced.
func planMemory(nodes []*graph.Node, layers []Layer, kinds []nodeKind, kept func(*graph.Value) bool, views map[*graph.Value]sliceView) *memPlan {
	p := &memPlan{slot: map[*graph.Value]int{}, off: map[*graph.Value]int{}}
	var refs []int // live values holding each slot
	var pinned []bool
	var free []int
	// readers counts, per value, the nodes that will still read it.
	readers := map[*graph.Value]int{}
	for _, n := range nodes {
		for i, b := range n.Bottoms {
			if !repeated(n.Bottoms, i) {
				readers[b]++
			}
		}
	}
	newSlot := func(size int) int {
		p.sizes = append(p.sizes, size)
		refs = append(refs, 0)
		pinned = append(pinned, false)
		return len(p.sizes) - 1
	}
	alloc := func(size int) int {
		best, largest := -1, -1
		for i, s := range free {
			if p.sizes[s] >= size && (best < 0 || p.sizes[s] < p.sizes[free[best]]) {
				best = i
			}
			if largest < 0 || p.sizes[s] > p.sizes[free[largest]] {
				largest = i
			}
		}
		if best < 0 {
			best = largest
		}
		if best < 0 {
			return newSlot(size)
		}
		s := free[best]
		free = append(free[:best], free[best+1:]...)
		p.sizes[s] = max(p.sizes[s], size)
		return s
	}
	hold := func(v *graph.Value, s int) {
		p.slot[v] = s
		refs[s]++
		if kept(v) {
			pinned[s] = true
		}
	}
	release := func(v *graph.Value) {
		s := p.slot[v]
		if refs[s]--; refs[s] == 0 && !pinned[s] {
			free = append(free, s)
		}
	}
	// overwritable: node n may write over b's buffer: n is the last reader
	// of b, nobody asked to see b, and no other live value is that buffer.
	overwritable := func(b *graph.Value) bool {
		s := p.slot[b]
		return !kept(b) && readers[b] == 1 && !pinned[s] && refs[s] == 1
	}
	// inView holds t inside its Concat's output when it has a view.
	inView := func(t *graph.Value) bool {
		sv, ok := views[t]
		if !ok {
			return false
		}
		if _, ok := p.slot[sv.whole]; !ok {
			hold(sv.whole, alloc(sv.whole.Shape.Count()))
		}
		hold(t, p.slot[sv.whole])
		p.off[t] = sv.off
		return true
	}
	for i, n := range nodes {
		switch kinds[i] {
		case kindInput:
			for _, t := range n.Tops {
				s := newSlot(t.Shape.Count())
				pinned[s] = true
				hold(t, s)
			}
		case kindView, kindFused:
			for j, t := range n.Tops {
				if _, done := p.slot[t]; done || inView(t) {
					continue // a viewed Concat's output, held since its first part
				}
				src := viewSource(n, layers[i], j)
				hold(t, p.slot[src])
				p.off[t] = p.off[src]
			}
		default:
			for _, t := range n.Tops {
				if inView(t) {
					continue
				}
				if kinds[i] == kindInPlace {
					if b := inPlaceBottom(n, t); b != nil && overwritable(b) && !holdsSlot(p, n.Tops, t, p.slot[b]) {
						hold(t, p.slot[b])
						p.off[t] = p.off[b]
						continue
					}
				}
				hold(t, alloc(t.Shape.Count()))
			}
		}
		for j, b := range n.Bottoms {
			if !repeated(n.Bottoms, j) {
				if readers[b]--; readers[b] == 0 {
					release(b)
				}
			}
		}
		for _, t := range n.Tops {
			if readers[t] == 0 { // nobody reads it; a kept one stays pinned
				release(t)
			}
		}
	}
	return p
}

// sliceView places a value off elements into the buffer of whole.
type sliceView struct {
	whole *graph.Value
	off   int
}

// concatViews finds the Concats whose output is one contiguous run per
// bottom (nothing before the concat axis but a count of 1) and whose
// every bottom can be computed straight into its run, so the Concat has
// nothing to copy. It marks them kindView and returns the placement of
// each value written into a run: the bottom, and through layers fused
// into a convolution, the convolution's own top.
func concatViews(nodes []*graph.Node, layers []Layer, kinds []nodeKind, kept func(*graph.Value) bool) map[*graph.Value]sliceView {
	pos := make(map[*graph.Node]int, len(nodes))
	for i, n := range nodes {
		pos[n] = i
	}
	views := map[*graph.Value]sliceView{}
	for i, n := range nodes {
		c, ok := layers[i].(*concatLayer)
		if !ok || c.b.outer != 1 || len(n.Tops) != 1 {
			continue
		}
		var chains [][]*graph.Value
		for _, b := range n.Bottoms {
			chain := viewChain(b, n, pos, layers, kinds, kept)
			if chain == nil {
				chains = nil
				break
			}
			chains = append(chains, chain)
		}
		if chains == nil {
			continue
		}
		off := 0
		for j, chain := range chains {
			for _, v := range chain {
				views[v] = sliceView{whole: n.Tops[0], off: off}
			}
			off += c.b.sizes[j]
		}
		kinds[i] = kindView
	}
	return views
}

// viewChain lists the values that would share bottom b's run of the
// Concat node c: b and, back through fused layers, the values they
// rewrite, up to a layer that writes its top without reading it. It is
// nil when one of them is kept, read by another layer or read twice, or
// comes from an input, a view or another Concat (their buffers belong to
// other values).
func viewChain(b *graph.Value, c *graph.Node, pos map[*graph.Node]int, layers []Layer, kinds []nodeKind, kept func(*graph.Value) bool) []*graph.Value {
	var chain []*graph.Value
	v, reader := b, c
	for {
		if kept(v) || len(v.Consumers) != 1 || v.Consumers[0] != reader || v.Producer == nil {
			return nil
		}
		uses := 0
		for _, x := range reader.Bottoms {
			if x == v {
				uses++
			}
		}
		j, ok := pos[v.Producer]
		if uses != 1 || !ok || j >= pos[reader] {
			return nil
		}
		chain = append(chain, v)
		switch kinds[j] {
		case kindRun, kindInPlace:
			// Both write the whole top; an element-wise layer reads its
			// bottom from another buffer here, which it allows.
			if _, nested := layers[j].(*concatLayer); nested {
				return nil
			}
			return chain
		case kindFused:
			reader = v.Producer
			v = reader.Bottoms[0]
		default:
			return nil
		}
	}
}

// inPlaceBottom is the bottom whose buffer an element-wise layer's top t
// may take over: the one t rewrites in place (same blob name), else, for
// a one-top layer, its first bottom when the sizes agree (Eltwise writing
// over its shortcut input, for example).
func inPlaceBottom(n *graph.Node, t *graph.Value) *graph.Value {
	for _, b := range n.Bottoms {
		if b.Blob == t.Blob {
			return b
		}
	}
	if len(n.Tops) == 1 && len(n.Bottoms) > 0 && n.Bottoms[0].Shape.Count() == t.Shape.Count() {
		return n.Bottoms[0]
	}
	return nil
}

// holdsSlot reports whether another top of the same node already took
// slot s (two tops of one layer never share a buffer).
func holdsSlot(p *memPlan, tops []*graph.Value, t *graph.Value, s int) bool {
	for _, o := range tops {
		if o == t {
			return false
		}
		if p.slot[o] == s {
			return true
		}
	}
	return false
}

// repeated reports whether vs[i] already appeared before index i.
func repeated(vs []*graph.Value, i int) bool {
	for _, v := range vs[:i] {
		if v == vs[i] {
			return true
		}
	}
	return false
}

// fuseChains lets each single-top convolution absorb the per-channel
// layers that follow it (BatchNorm with global stats, Scale, Bias, ReLU,
// ReLU6) into its output pass. A layer is absorbed only when it is the
// sole reader of the value before it and that value is not observed:
// not kept, and no Observe callback (which would expect to see it). It
// marks the absorbed nodes kindFused and returns, per fused node, the
// convolution that computes it.
func fuseChains(nodes []*graph.Node, layers []Layer, kinds []nodeKind, kept func(*graph.Value) bool) map[*graph.Node]*graph.Node {
	pos := make(map[*graph.Node]int, len(nodes))
	for i, n := range nodes {
		pos[n] = i
	}
	into := map[*graph.Node]*graph.Node{}
	for i, n := range nodes {
		conv, ok := layers[i].(*convLayer)
		if !ok || len(n.Bottoms) != 1 || len(n.Tops) != 1 {
			continue
		}
		g := conv.g
		v := n.Tops[0]
		for !kept(v) {
			c := soleReader(v)
			if c == nil {
				break
			}
			j, ok := pos[c]
			if !ok || j <= i || kinds[j] != kindInPlace {
				break
			}
			step, ok := fusibleStep(c, layers[j], n.Tops[0].Shape, g.num, g.colC, g.colSpatSz)
			if !ok {
				break
			}
			conv.fuse(step)
			kinds[j] = kindFused
			into[c] = n
			v = c.Tops[0]
		}
	}
	return into
}

// soleReader is the one node that reads v (as its only bottom), or nil.
func soleReader(v *graph.Value) *graph.Node {
	if len(v.Consumers) == 0 {
		return nil
	}
	c := v.Consumers[0]
	for _, o := range v.Consumers[1:] {
		if o != c {
			return nil
		}
	}
	if len(c.Bottoms) != 1 || c.Bottoms[0] != v {
		return nil
	}
	return c
}
