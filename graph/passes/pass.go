package passes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/caffetool/caffetool/graph"
)

// Pass rewrites a graph in place. keep holds the blob names ("conv1") or
// value names ("conv1#2") the user wants to stay observable; a pass never
// removes or changes the meaning of a kept value. Refusing a candidate is
// not an error: it is recorded in the Report. An error means the graph was
// found inconsistent.
type Pass interface {
	Name() string
	Apply(g *graph.Graph, keep map[string]bool) (Report, error)
}

// Action is what a pass did with one candidate layer.
type Action string

const (
	Folded  Action = "folded"
	Refused Action = "refused"
	Removed Action = "removed"
)

// Entry is the outcome for one candidate layer.
type Entry struct {
	Layer  string // the candidate (the first layer of a folded chain)
	Type   string
	Action Action
	Into   string   // Folded: the producer that absorbed the chain
	Chain  []string // Folded: every folded layer, in order
	Reason string   // Refused/Removed: why; Folded: notes (e.g. a bias was added)
}

func (e Entry) String() string {
	switch e.Action {
	case Folded:
		s := fmt.Sprintf("folded %s into %s", strings.Join(e.Chain, " → "), e.Into)
		if e.Reason != "" {
			s += " (" + e.Reason + ")"
		}
		return s
	case Removed:
		return fmt.Sprintf("removed %s (%s): %s", e.Layer, e.Type, e.Reason)
	default:
		return fmt.Sprintf("refused %s (%s): %s", e.Layer, e.Type, e.Reason)
	}
}

// Report lists what one pass did.
type Report struct {
	Pass    string
	Entries []Entry
	// Renamed maps value names that changed to their new names. Removing
	// layers from an in-place chain renumbers the later versions of that
	// blob (conv1#3 becomes conv1#1), so that the graph reads exactly as if
	// the rewritten net had been loaded from a file. Old names are those at
	// the start of the pass.
	Renamed map[string]string
}

// Count returns the number of entries with the given action.
func (r Report) Count(a Action) int {
	n := 0
	for _, e := range r.Entries {
		if e.Action == a {
			n++
		}
	}
	return n
}

func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d folded, %d refused, %d removed\n", r.Pass, r.Count(Folded), r.Count(Refused), r.Count(Removed))
	for _, e := range r.Entries {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	olds := make([]string, 0, len(r.Renamed))
	for o := range r.Renamed {
		olds = append(olds, o)
	}
	sort.Strings(olds)
	for _, o := range olds {
		fmt.Fprintf(&b, "  renamed %s → %s\n", o, r.Renamed[o])
	}
	return b.String()
}

// Run applies the passes in order, then re-infers every shape. Net outputs
// are fixed before the first pass, so a DeadCode pass without explicit
// Outputs protects exactly what the original net produced. Names in keep
// follow the renames the passes report. Input and data layer tops that
// already had shapes keep them (so shapes once given with --input survive);
// otherwise shapes come from the net itself.
func Run(g *graph.Graph, keep map[string]bool, passes ...Pass) ([]Report, error) {
	g.Reindex()
	outputs := g.Outputs()
	cur := map[string]bool{}
	for k, v := range keep {
		cur[k] = v
	}
	var reports []Report
	for _, p := range passes {
		switch d := p.(type) {
		case DeadCode:
			if d.Outputs == nil {
				p = DeadCode{Outputs: outputs}
			}
		case *DeadCode:
			if d.Outputs == nil {
				p = DeadCode{Outputs: outputs}
			}
		}
		r, err := p.Apply(g, cur)
		reports = append(reports, r)
		if err != nil {
			return reports, fmt.Errorf("pass %s: %w", p.Name(), err)
		}
		cur = renameKeys(cur, r.Renamed)
	}
	if err := g.InferShapes(sourceShapes(g)); err != nil {
		return reports, fmt.Errorf("shape inference after passes: %w", err)
	}
	return reports, nil
}

// sourceShapes collects the shapes Input and data layer tops had before
// the passes (no pass edits those values).
func sourceShapes(g *graph.Graph) map[string]graph.Shape {
	var m map[string]graph.Shape
	for _, n := range g.Nodes {
		switch n.Op.(type) {
		case *graph.Input, *graph.DataSource:
		default:
			continue
		}
		for _, v := range n.Tops {
			if len(v.Shape) == 0 {
				continue
			}
			ok := true
			for _, d := range v.Shape {
				ok = ok && d > 0
			}
			if ok {
				if m == nil {
					m = map[string]graph.Shape{}
				}
				m[v.Blob] = v.Shape.Clone()
			}
		}
	}
	return m
}

// renameKeys returns keep with renamed value names replaced. The renames of
// one report are simultaneous, so the new set is built from scratch.
func renameKeys(keep map[string]bool, renamed map[string]string) map[string]bool {
	if len(renamed) == 0 {
		return keep
	}
	out := make(map[string]bool, len(keep))
	for k, v := range keep {
		if n, ok := renamed[k]; ok {
			k = n
		}
		out[k] = out[k] || v
	}
	return out
}

// names records every value's name at the start of a pass. keep is given
// in those names, and Report.Renamed is relative to them, so both stay
// exact however many edits the pass makes.
type names map[*graph.Value]string

func nameValues(g *graph.Graph) names {
	m := make(names, len(g.Values))
	for _, v := range g.Values {
		m[v] = v.Name()
	}
	return m
}

// kept reports whether the user asked to observe v: by its value name
// ("blob#0" is accepted for version 0), or by its blob name, which
// protects every version of the blob.
func (m names) kept(keep map[string]bool, v *graph.Value) bool {
	if len(keep) == 0 {
		return false
	}
	name, ok := m[v]
	if !ok {
		name = v.Name()
	}
	return keep[name] || keep[v.Blob] || (name == v.Blob && keep[v.Blob+"#0"])
}

// renamed lists the surviving values whose names changed.
func (m names) renamed(g *graph.Graph) map[string]string {
	r := map[string]string{}
	for _, v := range g.Values {
		if old, ok := m[v]; ok && old != v.Name() {
			r[old] = v.Name()
		}
	}
	return r
}

// compact drops the removed nodes, rebuilds g.Values from the remaining
// nodes' tops in node order (IDs are indexes again), renumbers each blob's
// versions 0, 1, ... in production order, and reindexes.
func compact(g *graph.Graph, removed map[*graph.Node]bool) {
	nodes := g.Nodes[:0]
	for _, n := range g.Nodes {
		if !removed[n] {
			nodes = append(nodes, n)
		}
	}
	for i := len(nodes); i < len(g.Nodes); i++ {
		g.Nodes[i] = nil
	}
	g.Nodes = nodes

	next := map[string]int{}
	values := make([]*graph.Value, 0, len(g.Values))
	for _, n := range g.Nodes {
		for _, v := range n.Tops {
			v.ID = len(values)
			v.Producer = n
			v.Version = next[v.Blob]
			next[v.Blob]++
			values = append(values, v)
		}
	}
	g.Values = values
	g.Reindex()
}
