package passes

import (
	"fmt"
	"strings"

	"github.com/caffetool/caffetool/graph"
)

// DeadCode removes layers whose work nobody can observe: every top is
// unread, not kept, and not a net output, and the layer has no effect
// outside its tops. Removing a layer can make its bottoms' producers dead in
// turn (e.g. a branch that only fed a Silence layer).
type DeadCode struct {
	// Outputs are the values that count as net outputs and are never
	// removed. Run sets them to the outputs of the graph before its first
	// pass; when nil, Apply uses g.Outputs() at the time it runs.
	Outputs []*graph.Value
}

func (DeadCode) Name() string { return "dead-code" }

func (d DeadCode) Apply(g *graph.Graph, keep map[string]bool) (Report, error) {
	rep := Report{Pass: d.Name()}
	g.Reindex()
	orig := nameValues(g)
	outs := d.Outputs
	if outs == nil {
		outs = g.Outputs()
	}
	isOutput := map[*graph.Value]bool{}
	for _, v := range outs {
		isOutput[v] = true
	}
	readers := map[*graph.Value]int{}
	for _, v := range g.Values {
		readers[v] = len(v.Consumers)
	}
	// Readers come after producers in file order, so one backward sweep
	// sees every cascade.
	removed := map[*graph.Node]bool{}
	var entries []Entry
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		if sideEffect(n) != "" {
			continue
		}
		live := false
		for _, t := range n.Tops {
			if readers[t] > 0 || isOutput[t] || orig.kept(keep, t) {
				live = true
				break
			}
		}
		if live {
			continue
		}
		removed[n] = true
		for _, b := range n.Bottoms {
			readers[b]--
		}
		reason := "no tops and no side effect"
		if len(n.Tops) > 0 {
			names := make([]string, len(n.Tops))
			for j, t := range n.Tops {
				names[j] = t.Name()
			}
			reason = fmt.Sprintf("%s unread, not kept, not a net output", strings.Join(names, ", "))
		}
		entries = append(entries, Entry{Layer: n.Name, Type: n.Type, Action: Removed, Reason: reason})
	}
	// Report in file order.
	for i := len(entries) - 1; i >= 0; i-- {
		rep.Entries = append(rep.Entries, entries[i])
	}
	if len(removed) > 0 {
		compact(g, removed)
	}
	rep.Renamed = orig.renamed(g)
	return rep, nil
}

// sideEffect says why a layer must stay even when its tops are unread, or
// returns "".
func sideEffect(n *graph.Node) string {
	switch n.Op.(type) {
	case nil:
		return "no op"
	case *graph.Input, *graph.DataSource:
		return "feeds the net"
	case *graph.HDF5Output:
		return "writes files"
	case *graph.Loss:
		return "defines the training loss"
	case *graph.Unknown:
		return "unknown layer type"
	}
	for _, w := range n.LossWeights {
		if w != 0 {
			return "contributes to the loss"
		}
	}
	return ""
}
