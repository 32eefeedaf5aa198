package htmlreport

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/caffetool/caffetool/graph"
)

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

// Render writes the report of g as one self-contained HTML page. d must
// describe g's layers in order (as `inspect --json` does).
func Render(w io.Writer, g *graph.Graph, d Data) error {
	if g == nil {
		return errors.New("htmlreport: no graph")
	}
	if len(d.Layers) != len(g.Nodes) {
		return fmt.Errorf("htmlreport: %d layers described for a graph of %d", len(d.Layers), len(g.Nodes))
	}
	for i, n := range g.Nodes {
		if n == nil || n.Op == nil {
			return fmt.Errorf("htmlreport: layer %d has no op", i)
		}
		if d.Layers[i].Name != n.Name {
			return fmt.Errorf("htmlreport: layer %d is %q in the graph but %q in the data", i, n.Name, d.Layers[i].Name)
		}
	}
	p := &page{g: g, d: d, l: computeLayout(g)}
	p.peak, p.peakAt = peakActivation(g)
	if err := p.write(); err != nil {
		return err
	}
	_, err := w.Write(p.buf.Bytes())
	return err
}

type page struct {
	g      *graph.Graph
	d      Data
	l      *layout
	peak   int64
	peakAt int
	buf    bytes.Buffer
}

func (p *page) printf(f string, a ...any) { fmt.Fprintf(&p.buf, f, a...) }

// esc escapes text for HTML content and attribute values.
func esc(s string) string { return html.EscapeString(s) }

func (p *page) write() error {
	title := p.d.Name
	if title == "" {
		title = "(unnamed net)"
	}
	p.printf("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	p.printf("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	p.printf("<title>%s – caffetool inspect</title>\n", esc(title))
	// Recorded before anything else runs, for the self-test and the console.
	p.printf("<script>window.__errs=[];window.addEventListener('error',function(e){window.__errs.push(String(e.message))});</script>\n")
	p.printf("<style>%s</style>\n</head><body>\n", pageCSS)
	p.writeHeader(title)
	p.writeGraph()
	p.writeLayerTable()
	p.writeBlockTable()
	p.printf("<div id=\"tip\"></div>\n<pre id=\"selftest\" hidden></pre>\n")
	data, err := p.scriptData()
	if err != nil {
		return err
	}
	// json.Marshal escapes <, > and &, so the data cannot end the script element.
	p.printf("<script id=\"data\" type=\"application/json\">%s</script>\n", data)
	p.printf("<script>%s</script>\n</body></html>\n", pageJS)
	return nil
}

func (p *page) writeHeader(title string) {
	d := p.d
	var sub []string
	if d.File != "" {
		sub = append(sub, d.File)
	}
	if d.Phase != "" {
		sub = append(sub, "phase "+d.Phase)
	}
	sub = append(sub, fmt.Sprintf("%d layers drawn as %d nodes (in-place layers inside their producer)", len(p.g.Nodes), len(p.l.boxes)))
	p.printf("<header>\n<h1>%s</h1>\n<div class=\"sub\">%s</div>\n", esc(title), esc(strings.Join(sub, " · ")))
	p.printf("<div class=\"stats\">\n")
	stat := func(label, value, detail string) {
		p.printf("<div class=\"stat\"><span>%s</span><b>%s</b><i>%s</i></div>\n", esc(label), esc(value), esc(detail))
	}
	t := d.Totals
	stat("MACs", human(t.MACs), grouped(t.MACs))
	stat("Parameters", human(t.Params), grouped(t.Params))
	stat("Weights", humanBytes(4*t.Params), "float32")
	peakAt := ""
	if p.peakAt >= 0 {
		peakAt = "at " + p.g.Nodes[p.peakAt].Name
	}
	stat("Peak activations", humanBytes(p.peak), peakAt)
	stat("All activations", humanBytes(t.OutputBytes), "sum of layer outputs")
	stat("Layers", fmt.Sprint(t.Layers), fmt.Sprintf("%d nodes", len(p.l.boxes)))
	p.printf("</div>\n")
	blobs := func(label string, bs []Blob) {
		if len(bs) == 0 {
			return
		}
		p.printf("<div class=\"io\"><span>%s</span>", label)
		for _, b := range bs {
			p.printf(" <code>%s</code> %s", esc(b.Name), esc(shapeText(b.Shape)))
		}
		p.printf("</div>\n")
	}
	blobs("Inputs", d.Inputs)
	blobs("Outputs", d.Outputs)
	if len(d.Warnings) > 0 {
		p.printf("<details class=\"warn\"%s><summary>%d warning(s) while loading</summary><ul>\n", openIf(len(d.Warnings) <= 5), len(d.Warnings))
		for _, w := range d.Warnings {
			p.printf("<li>%s</li>\n", esc(w))
		}
		p.printf("</ul></details>\n")
	}
	if wr := d.Weights; wr != nil {
		n := len(wr.Unused) + len(wr.Missing) + len(wr.Mismatch)
		p.printf("<details class=\"weights\"%s><summary>Weights %s: %d unused, %d missing, %d mismatched</summary><ul>\n",
			openIf(n > 0 && n <= 5), esc(wr.File), len(wr.Unused), len(wr.Missing), len(wr.Mismatch))
		for _, s := range wr.Unused {
			p.printf("<li>unused in net: %s</li>\n", esc(s))
		}
		for _, s := range wr.Missing {
			p.printf("<li>missing from caffemodel: %s</li>\n", esc(s))
		}
		for _, s := range wr.Mismatch {
			p.printf("<li>mismatch: %s</li>\n", esc(s))
		}
		p.printf("</ul></details>\n")
	}
	p.printf("</header>\n")
}

func openIf(b bool) string {
	if b {
		return " open"
	}
	return ""
}

func (p *page) writeGraph() {
	l := p.l
	p.printf("<section id=\"gwrap\"><div class=\"tools\"><button id=\"fitw\" title=\"fit the width\">Fit width</button>" +
		"<button id=\"fita\" title=\"show the whole net\">Fit all</button><button id=\"one\">100%%</button><div class=\"legend\">")
	for _, c := range [][2]string{{"data", "input"}, {"conv", "convolution"}, {"fc", "fully connected"}, {"pool", "pooling"},
		{"norm", "normalization"}, {"act", "activation"}, {"merge", "eltwise/concat"}, {"out", "softmax/output"}, {"move", "reshaping"}} {
		p.printf("<span class=\"c-%s\"><i></i>%s</span>", c[0], c[1])
	}
	p.printf("</div><span class=\"hint\">drag to pan · wheel to zoom · hover a node for its parameters</span></div>\n")
	p.printf("<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" data-w=\"%s\" data-h=\"%s\">", num(l.width), num(l.height))
	p.printf("<defs><marker id=\"arr\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0L8,4L0,8z\"/></marker></defs>\n")
	p.printf("<g id=\"vp\"><g class=\"edges\">\n")
	for _, e := range l.edges {
		p.printf("<path d=\"%s\"/>\n", edgePath(e.pts))
	}
	p.printf("</g><g class=\"labels\">\n")
	for _, t := range l.trunks {
		src := t.src
		x := src.x + src.w*(float64(t.port+1)/float64(len(src.ports)+1)-0.5)
		y := src.y + src.h + 12 + 11*float64(t.port%2)
		p.printf("<text class=\"el\" x=\"%s\" y=\"%s\">%s<title>%s</title></text>\n", num(x), num(y), esc(shapeText(t.val.Shape)), esc(t.val.Name()))
	}
	p.printf("</g><g class=\"nodes\">\n")
	for _, b := range l.boxes {
		p.printf("<g class=\"node c-%s\" id=\"b%d\" transform=\"translate(%s,%s)\"><rect width=\"%s\" height=\"%s\" rx=\"4\"/>",
			category(b.nodes[0].Op), b.id, num(b.x-b.w/2), num(b.y), num(b.w), num(b.h))
		for i, ln := range b.lines {
			p.printf("<text class=\"%s\" x=\"%s\" y=\"%s\">%s</text>", ln.class, num(padX), num(padY+lineH*float64(i)+10.5), esc(ln.text))
		}
		p.printf("</g>\n")
	}
	p.printf("</g></g></svg></section>\n")
}

// edgePath draws a route: straight down through ranks (pairs of points at
// a rank's top and bottom), S-curves with vertical ends across the gaps.
func edgePath(pts []point) string {
	var b strings.Builder
	fmt.Fprintf(&b, "M%s %sV%s", num(pts[0].x), num(pts[0].y), num(pts[1].y))
	for i := 2; i < len(pts); i += 2 {
		a, c := pts[i-1], pts[i]
		m := (a.y + c.y) / 2
		fmt.Fprintf(&b, "C%s %s %s %s %s %s", num(a.x), num(m), num(c.x), num(m), num(c.x), num(c.y))
		if i+1 < len(pts) {
			fmt.Fprintf(&b, "V%s", num(pts[i+1].y))
		}
	}
	return b.String()
}

// bottomShapes and topShapes of a node, for the table.
func shapesOf(vs []*graph.Value) [][]int {
	out := make([][]int, 0, len(vs))
	for _, v := range vs {
		if v != nil {
			out = append(out, []int(v.Shape))
		}
	}
	return out
}

// shapeCells prints the channel and size cells of a list of blobs: one
// value when all agree, else each blob's (at most four).
func shapeCells(shapes [][]int) string {
	if len(shapes) == 0 {
		return "<td class=\"n\" data-v=\"-1\">–</td><td class=\"n\" data-v=\"-1\">–</td>"
	}
	var chs, sizes []string
	var chKey, sizeKey int64
	for i, s := range shapes {
		ch, ck, size, sk := channelsAndSize(s)
		if i == 0 {
			chKey, sizeKey = ck, sk
		}
		chs = append(chs, ch)
		sizes = append(sizes, size)
	}
	join := func(v []string) string {
		same := true
		for _, x := range v {
			same = same && x == v[0]
		}
		if same {
			return v[0]
		}
		if len(v) > 4 {
			v = append(v[:4:4], "…")
		}
		return strings.Join(v, ", ")
	}
	return fmt.Sprintf("<td class=\"n\" data-v=\"%d\">%s</td><td class=\"n\" data-v=\"%d\">%s</td>", chKey, esc(join(chs)), sizeKey, esc(join(sizes)))
}

func (p *page) writeLayerTable() {
	p.printf("<section class=\"tables\"><h2>Layers</h2>\n<p class=\"note\">Click a header to sort, a row to show its node. " +
		"In-place layers (grey) are drawn inside the node of the layer whose output they rewrite. " +
		"MACs and activation memory are for the batch as declared.</p>\n")
	p.printf("<table id=\"layers\" class=\"sortable\"><thead><tr><th>ID</th><th>Name</th><th>Type</th><th>In ch</th><th>In size</th>" +
		"<th>Out ch</th><th>Out size</th><th>MACs</th><th>Params</th><th>Activations</th></tr></thead><tbody>\n")
	for i, n := range p.g.Nodes {
		ly := p.d.Layers[i]
		cls := ""
		if p.l.boxOf[i].nodes[0] != n {
			cls = " class=\"ip\""
		}
		p.printf("<tr data-l=\"%d\"%s><td class=\"n\" data-v=\"%d\">%d</td><td>%s</td><td>%s</td>%s%s", i, cls, i, ly.Index, esc(ly.Name), esc(ly.Type),
			shapeCells(shapesOf(n.Bottoms)), shapeCells(shapesOf(n.Tops)))
		p.printf("<td class=\"n\" data-v=\"%d\">%s</td><td class=\"n\" data-v=\"%d\">%s</td><td class=\"n\" data-v=\"%d\">%s</td></tr>\n",
			ly.MACs, human(ly.MACs), ly.Params, grouped(ly.Params), ly.OutputBytes, humanBytes(ly.OutputBytes))
	}
	t := p.d.Totals
	p.printf("</tbody><tfoot><tr><td colspan=\"7\">Total: %d layers</td><td class=\"n\" data-v=\"%d\">%s</td><td class=\"n\" data-v=\"%d\">%s</td><td class=\"n\" data-v=\"%d\">%s</td></tr></tfoot></table>\n",
		t.Layers, t.MACs, human(t.MACs), t.Params, grouped(t.Params), t.OutputBytes, humanBytes(t.OutputBytes))
}

// block is one row of the per-block summary.
type block struct {
	key                  string
	first                int
	layers               int
	macs, params, outMem int64
	boxes                []int
}

// blocks groups layers by blockKey of the first layer of their box, in
// order of first appearance.
func (p *page) blocks() []*block {
	var out []*block
	byKey := map[string]*block{}
	for i := range p.g.Nodes {
		b := p.l.boxOf[i]
		k := blockKey(b.nodes[0].Name)
		bl := byKey[k]
		if bl == nil {
			bl = &block{key: k, first: i}
			byKey[k] = bl
			out = append(out, bl)
		}
		ly := p.d.Layers[i]
		bl.layers++
		bl.macs += ly.MACs
		bl.params += ly.Params
		bl.outMem += ly.OutputBytes
		if b.nodes[0].Index == i {
			bl.boxes = append(bl.boxes, b.id)
		}
	}
	return out
}

func pct(a, total int64) (string, float64) {
	if total <= 0 {
		return "–", 0
	}
	f := 100 * float64(a) / float64(total)
	return fmt.Sprintf("%.1f%%", f), f
}

func (p *page) writeBlockTable() {
	p.printf("<h2>Blocks</h2>\n<p class=\"note\">Layers grouped by name prefix: the part before the first “/” " +
		"(<code>inception_4b/1x1</code> → <code>inception_4b</code>), else before the first “_” " +
		"(<code>res3a_branch2b</code> → <code>res3a</code>), else the whole name. In-place layers count in the block " +
		"of the node they are drawn in. Click a row to show its nodes.</p>\n")
	p.printf("<table id=\"blocks\" class=\"sortable\"><thead><tr><th>Block</th><th>First ID</th><th>Layers</th><th>MACs</th><th>%% MACs</th>" +
		"<th>Params</th><th>%% params</th><th>Activations</th></tr></thead><tbody>\n")
	t := p.d.Totals
	for i, b := range p.blocks() {
		pm, fm := pct(b.macs, t.MACs)
		pp, fp := pct(b.params, t.Params)
		p.printf("<tr data-k=\"%d\"><td>%s</td><td class=\"n\" data-v=\"%d\">%d</td><td class=\"n\" data-v=\"%d\">%d</td>", i, esc(b.key), b.first, b.first, b.layers, b.layers)
		p.printf("<td class=\"n\" data-v=\"%d\">%s</td><td class=\"n\" data-v=\"%g\">%s</td><td class=\"n\" data-v=\"%d\">%s</td><td class=\"n\" data-v=\"%g\">%s</td><td class=\"n\" data-v=\"%d\">%s</td></tr>\n",
			b.macs, human(b.macs), fm, pm, b.params, grouped(b.params), fp, pp, b.outMem, humanBytes(b.outMem))
	}
	p.printf("</tbody><tfoot><tr><td colspan=\"2\">Total</td><td class=\"n\">%d</td><td class=\"n\">%s</td><td></td><td class=\"n\">%s</td><td></td><td class=\"n\">%s</td></tr></tfoot></table></section>\n",
		t.Layers, human(t.MACs), grouped(t.Params), humanBytes(t.OutputBytes))
}

// jsLayer is what the tooltip shows about one layer.
type jsLayer struct {
	Name   string   `json:"n"`
	Type   string   `json:"t"`
	In     []string `json:"i,omitempty"`
	Out    []string `json:"o,omitempty"`
	Cost   string   `json:"c"`
	Fields string   `json:"p,omitempty"`
	Blobs  []string `json:"w,omitempty"`
}

type jsData struct {
	Layers []jsLayer `json:"L"`
	Boxes  [][]int   `json:"boxes"` // layer indices per box
	Rects  [][4]int  `json:"rects"` // x, y, w, h per box
	BoxOf  []int     `json:"boxOf"`
	Blocks [][]int   `json:"blocks"` // box ids per block
}

func blobTexts(vs []*graph.Value) []string {
	var out []string
	for _, v := range vs {
		if v != nil {
			out = append(out, v.Name()+" "+shapeText(v.Shape))
		}
	}
	return out
}

func (p *page) scriptData() ([]byte, error) {
	js := jsData{BoxOf: make([]int, len(p.g.Nodes))}
	for i, n := range p.g.Nodes {
		ly := p.d.Layers[i]
		jl := jsLayer{Name: n.Name, Type: n.Type, In: blobTexts(n.Bottoms), Out: blobTexts(n.Tops), Fields: opFields(n.Op),
			Cost: fmt.Sprintf("MACs %s · params %s · activations %s", grouped(ly.MACs), grouped(ly.Params), humanBytes(ly.OutputBytes))}
		for k, pb := range ly.ParamBlobs {
			s := fmt.Sprintf("param %d  %s  lr_mult %g  decay_mult %g", k, shapeText(pb.Shape), pb.LrMult, pb.DecayMult)
			if pb.Filler != "" {
				s += "  filler " + pb.Filler
			}
			if pb.Name != "" {
				s += "  shared as " + pb.Name
			}
			if pb.Loaded {
				s += "  loaded"
			} else {
				s += "  not loaded"
			}
			jl.Blobs = append(jl.Blobs, s)
		}
		js.Layers = append(js.Layers, jl)
		js.BoxOf[i] = p.l.boxOf[i].id
	}
	for _, b := range p.l.boxes {
		var ids []int
		for _, n := range b.nodes {
			ids = append(ids, n.Index)
		}
		js.Boxes = append(js.Boxes, ids)
		js.Rects = append(js.Rects, [4]int{int(b.x - b.w/2), int(b.y), int(b.w), int(b.h)})
	}
	for _, b := range p.blocks() {
		js.Blocks = append(js.Blocks, b.boxes)
	}
	return json.Marshal(js)
}
