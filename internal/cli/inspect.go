package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/graph"
)

type inspectOpts struct {
	net      netFlags
	prototxt string
	weights  string
	json     bool
	dot      bool
	params   bool
	html     string
}

func newInspectCmd(e *env) *cobra.Command {
	o := &inspectOpts{}
	cmd := &cobra.Command{
		Use:   "inspect net.prototxt [weights.caffemodel]",
		Short: "List layers with shapes, parameters, MACs and memory",
		Long: `inspect loads a net exactly as Caffe would (upgrading legacy formats and
filtering by phase/level/stage) and prints one row per layer: name, type,
bottoms -> tops, output shape(s), parameter count, multiply-accumulates and
output memory, then totals. With weights it also reports how the caffemodel's
layers match the net's.`,
		Args: argsRange(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			o.prototxt = args[0]
			if len(args) > 1 {
				o.weights = args[1]
			}
			if o.json && o.dot {
				return usagef("--json and --dot are exclusive")
			}
			return inspectRun(e, o)
		},
	}
	o.net.register(cmd.Flags())
	cmd.Flags().BoolVar(&o.json, "json", false, "print the report as JSON (schema in README.md)")
	cmd.Flags().BoolVar(&o.dot, "dot", false, "print a Graphviz graph with shapes on the edges")
	cmd.Flags().BoolVar(&o.params, "params", false, "show lr_mult/decay_mult and filler of every param blob")
	cmd.Flags().StringVar(&o.html, "html", "", "also write a self-contained HTML report (graph, sortable table) to this file")
	return cmd
}

func inspectRun(e *env, o *inspectOpts) error {
	net, err := o.net.load(e, o.prototxt, o.weights, true)
	if err != nil {
		return err
	}
	rep, err := buildReport(net, o)
	if err != nil {
		return err
	}
	if o.html != "" {
		if err := refuseOverwrite(o.html, false, o.prototxt, o.weights); err != nil {
			return err
		}
		if err := writeHTML(o.html, net.Graph, rep); err != nil {
			return err
		}
		fmt.Fprintf(e.err, "wrote %s\n", o.html)
	}
	switch {
	case o.json:
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case o.dot:
		writeDot(e.out, net.Graph)
		return nil
	}
	writeTable(e.out, rep, o.params)
	return nil
}

// Report is the stable JSON schema of `inspect --json`.
type Report struct {
	Name     string       `json:"name"`
	File     string       `json:"file"`
	Phase    string       `json:"phase"`
	Inputs   []BlobInfo   `json:"inputs"`
	Outputs  []BlobInfo   `json:"outputs"`
	Layers   []LayerInfo  `json:"layers"`
	Totals   Totals       `json:"totals"`
	Warnings []string     `json:"warnings"`
	Weights  *WeightsInfo `json:"weights,omitempty"`
}

type BlobInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type ParamInfo struct {
	Shape     []int   `json:"shape"`
	Name      string  `json:"name,omitempty"`
	LrMult    float32 `json:"lr_mult"`
	DecayMult float32 `json:"decay_mult"`
	Filler    string  `json:"filler,omitempty"`
	Loaded    bool    `json:"loaded"`
}

type LayerInfo struct {
	Index       int         `json:"index"`
	Name        string      `json:"name"`
	Type        string      `json:"type"`
	Bottoms     []string    `json:"bottoms"`
	Tops        []string    `json:"tops"`
	TopShapes   [][]int     `json:"top_shapes"`
	InPlace     bool        `json:"in_place"`
	Params      int64       `json:"params"`
	MACs        int64       `json:"macs"`
	OutputBytes int64       `json:"output_bytes"`
	ParamBlobs  []ParamInfo `json:"param_blobs,omitempty"`
}

type Totals struct {
	Layers      int   `json:"layers"`
	Params      int64 `json:"params"`
	MACs        int64 `json:"macs"`
	OutputBytes int64 `json:"output_bytes"`
}

type WeightsInfo struct {
	File     string   `json:"file"`
	Unused   []string `json:"unused"`
	Missing  []string `json:"missing"`
	Mismatch []string `json:"mismatch"`
}

// shapeInts gives a shape for JSON: null when unknown, [] for a scalar.
func shapeInts(s graph.Shape) []int {
	if s == nil {
		return nil
	}
	return append([]int{}, s...)
}

func buildReport(net *caffe.Net, o *inspectOpts) (*Report, error) {
	g := net.Graph
	r := &Report{Name: g.Name, File: o.prototxt, Phase: strings.ToUpper(o.net.phase), Warnings: append([]string{}, net.Warnings...)}
	for _, v := range g.Inputs() {
		r.Inputs = append(r.Inputs, BlobInfo{v.Blob, shapeInts(v.Shape)})
	}
	for _, v := range g.Outputs() {
		r.Outputs = append(r.Outputs, BlobInfo{v.Blob, shapeInts(v.Shape)})
	}
	for _, n := range g.Nodes {
		c, err := graph.NodeCost(n)
		if err != nil {
			c = graph.Cost{} // shapes unknown: reported as a warning already
		}
		li := LayerInfo{Index: n.Index, Name: n.Name, Type: n.Type, Params: c.Params, MACs: c.MACs, OutputBytes: c.OutputBytes,
			Bottoms: []string{}, Tops: []string{}, TopShapes: [][]int{}}
		for _, b := range n.Bottoms {
			li.Bottoms = append(li.Bottoms, b.Blob)
		}
		for i, t := range n.Tops {
			li.Tops = append(li.Tops, t.Blob)
			li.TopShapes = append(li.TopShapes, shapeInts(t.Shape))
			li.InPlace = li.InPlace || n.InPlace(i)
		}
		li.ParamBlobs = paramInfos(n)
		r.Layers = append(r.Layers, li)
		r.Totals.Params += c.Params
		r.Totals.MACs += c.MACs
		r.Totals.OutputBytes += c.OutputBytes
	}
	r.Totals.Layers = len(g.Nodes)
	if net.Report != nil {
		r.Weights = &WeightsInfo{File: o.weights, Unused: nonNil(net.Report.Unused), Missing: nonNil(net.Report.Missing), Mismatch: nonNil(net.Report.Mismatch)}
	}
	return r, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func paramInfos(n *graph.Node) []ParamInfo {
	p, ok := n.Op.(graph.Parametric)
	if !ok {
		return nil
	}
	var in []graph.Shape
	for _, b := range n.Bottoms {
		in = append(in, b.Shape)
	}
	shapes, err := p.ParamShapes(in)
	if err != nil {
		return nil
	}
	fillers := p.Fillers()
	out := make([]ParamInfo, len(shapes))
	for i, s := range shapes {
		pi := ParamInfo{Shape: shapeInts(s), LrMult: 1, DecayMult: 1}
		if i < len(n.ParamSpecs) {
			ps := n.ParamSpecs[i]
			pi.Name, pi.LrMult, pi.DecayMult = ps.Name, ps.LrMult, ps.DecayMult
		}
		if i < len(fillers) {
			pi.Filler = fillers[i].String()
		}
		pi.Loaded = i < len(n.Params) && n.Params[i] != nil
		out[i] = pi
	}
	return out
}

// writeTable prints the layer table; it fits 120 columns.
func writeTable(w io.Writer, r *Report, params bool) {
	const row = "%-3s %-22s %-13s %-30s %-17s %9s %9s %9s\n"
	fmt.Fprintf(w, "net %q (%s, phase %s)\n", r.Name, r.File, r.Phase)
	fmt.Fprintf(w, row, "#", "layer", "type", "bottoms -> tops", "output", "params", "MACs", "memory")
	for _, l := range r.Layers {
		io := strings.Join(l.Bottoms, ",") + " -> " + strings.Join(l.Tops, ",")
		if l.InPlace {
			io += " *"
		}
		var shapes []string
		for _, s := range l.TopShapes {
			if s == nil {
				shapes = append(shapes, "?")
				continue
			}
			shapes = append(shapes, graph.Shape(s).String())
		}
		out := strings.Join(shapes, " ")
		if len(l.Tops) == 0 {
			out = "-"
		}
		fmt.Fprintf(w, row, fmt.Sprint(l.Index), clip(l.Name, 22), clip(l.Type, 13), clip(io, 30), clip(out, 17),
			human(l.Params), human(l.MACs), humanBytes(l.OutputBytes))
		if params {
			for i, p := range l.ParamBlobs {
				name := ""
				if p.Name != "" {
					name = " shared as " + p.Name
				}
				state := "loaded"
				if !p.Loaded {
					state = "not loaded"
				}
				fmt.Fprintf(w, "      param %d %-14s lr_mult %-4g decay_mult %-4g filler %s (%s)%s\n",
					i, graph.Shape(p.Shape).String(), p.LrMult, p.DecayMult, p.Filler, state, name)
			}
		}
	}
	fmt.Fprintf(w, row, "", "total", fmt.Sprintf("%d layers", r.Totals.Layers), "", "",
		human(r.Totals.Params), human(r.Totals.MACs), humanBytes(r.Totals.OutputBytes))
	fmt.Fprintln(w, "(* = in-place; MACs and memory for the batch as declared)")
	for _, b := range r.Inputs {
		fmt.Fprintf(w, "input  %s %s\n", b.Name, graph.Shape(b.Shape))
	}
	for _, b := range r.Outputs {
		fmt.Fprintf(w, "output %s %s\n", b.Name, graph.Shape(b.Shape))
	}
	if r.Weights != nil {
		wr := r.Weights
		fmt.Fprintf(w, "weights %s: %d unused, %d missing, %d mismatched\n", wr.File, len(wr.Unused), len(wr.Missing), len(wr.Mismatch))
		for _, s := range wr.Unused {
			fmt.Fprintln(w, "  unused in net: "+s)
		}
		for _, s := range wr.Missing {
			fmt.Fprintln(w, "  missing from caffemodel: "+s)
		}
		for _, s := range wr.Mismatch {
			fmt.Fprintln(w, "  mismatch: "+s)
		}
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func human(n int64) string {
	switch {
	case n >= 10_000_000_000:
		return fmt.Sprintf("%.1fG", float64(n)/1e9)
	case n >= 10_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 100_000:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// writeDot prints the graph in Graphviz syntax, one node per layer and one
// edge per consumed value labelled with its shape.
func writeDot(w io.Writer, g *graph.Graph) {
	fmt.Fprintf(w, "digraph %q {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n", g.Name)
	for _, n := range g.Nodes {
		fmt.Fprintf(w, "  n%d [label=%q];\n", n.Index, n.Name+"\\n"+n.Type)
	}
	for _, n := range g.Nodes {
		for _, b := range n.Bottoms {
			if b.Producer == nil {
				continue
			}
			fmt.Fprintf(w, "  n%d -> n%d [label=%q];\n", b.Producer.Index, n.Index, b.Name()+" "+b.Shape.String())
		}
	}
	fmt.Fprintln(w, "}")
}
