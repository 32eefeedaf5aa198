package htmlreport

import (
	"strings"

	"github.com/caffetool/caffetool/graph"
)

// box is one drawn node: a layer plus the in-place layers folded into it,
// in execution order (nodes[0] is the producer that starts the chain).
type box struct {
	id    int
	nodes []*graph.Node
	lines []line
	item  int // index in layout.items
	rank  int
	// x is the centre, y the top; w and h the size.
	x, y, w, h float64
	ports      []*trunk // output values leaving the box, one port each
}

// foldInto returns the value whose producer's box n is folded into, or nil
// when n gets its own box. A layer is folded when it rewrites its only
// bottom blob in place (every bottom is that one value): BatchNorm, Scale,
// ReLU, Dropout and the like. Layers that read other blobs too stay
// separate, so folding can never create a cycle between boxes.
func foldInto(n *graph.Node) *graph.Value {
	if len(n.Bottoms) == 0 {
		return nil
	}
	b := n.Bottoms[0]
	for _, o := range n.Bottoms[1:] {
		if o != b {
			return nil
		}
	}
	if b == nil || b.Producer == nil {
		return nil
	}
	for i, t := range n.Tops {
		if t != nil && t.Blob == b.Blob && n.InPlace(i) {
			return b
		}
	}
	return nil
}

// buildBoxes groups the graph's nodes into boxes; boxOf is indexed like
// g.Nodes. Boxes come in the order of their first node, which is a
// topological order: a box's inputs are its first node's bottoms, produced
// by earlier nodes.
func buildBoxes(g *graph.Graph) (boxes []*box, boxOf []*box) {
	boxOf = make([]*box, len(g.Nodes))
	for i, n := range g.Nodes {
		if v := foldInto(n); v != nil && v.Producer.Index < i && boxOf[v.Producer.Index] != nil {
			b := boxOf[v.Producer.Index]
			b.nodes = append(b.nodes, n)
			boxOf[i] = b
			continue
		}
		b := &box{id: len(boxes), nodes: []*graph.Node{n}}
		boxes = append(boxes, b)
		boxOf[i] = b
	}
	return boxes, boxOf
}

// blockKey is the per-block summary's grouping rule: the part of a layer
// name before its first '/' (GoogLeNet's "inception_4b/1x1" → "inception_4b",
// MobileNet's "conv3/dw" → "conv3"); names without '/' are cut at their
// first '_' (ResNet's "res3a_branch2b" → "res3a"); names with neither are
// their own block. In-place layers take the block of the box they are
// folded into, so ResNet's "bn3a_branch2b" joins "res3a" with its conv.
func blockKey(name string) string {
	if i := strings.IndexByte(name, '/'); i > 0 {
		return name[:i]
	}
	if i := strings.IndexByte(name, '_'); i > 0 {
		return name[:i]
	}
	return name
}
