package cli

import (
	"bytes"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/htmlreport"
)

// writeHTML writes `inspect --html`: the report r of graph g as one
// self-contained HTML page, replacing path atomically.
func writeHTML(path string, g *graph.Graph, r *Report) error {
	var buf bytes.Buffer
	if err := htmlreport.Render(&buf, g, htmlData(r)); err != nil {
		return err
	}
	return caffe.WriteFileAtomic(path, buf.Bytes(), 0o644)
}

// htmlData converts the JSON report into the HTML report's summary.
func htmlData(r *Report) htmlreport.Data {
	d := htmlreport.Data{
		Name: r.Name, File: r.File, Phase: r.Phase,
		Inputs: htmlBlobs(r.Inputs), Outputs: htmlBlobs(r.Outputs),
		Totals:   htmlreport.Totals{Layers: r.Totals.Layers, Params: r.Totals.Params, MACs: r.Totals.MACs, OutputBytes: r.Totals.OutputBytes},
		Warnings: r.Warnings,
	}
	for _, l := range r.Layers {
		hl := htmlreport.Layer{Index: l.Index, Name: l.Name, Type: l.Type, Params: l.Params, MACs: l.MACs, OutputBytes: l.OutputBytes}
		for _, p := range l.ParamBlobs {
			hl.ParamBlobs = append(hl.ParamBlobs, htmlreport.ParamBlob{Shape: p.Shape, Name: p.Name, LrMult: p.LrMult,
				DecayMult: p.DecayMult, Filler: p.Filler, Loaded: p.Loaded})
		}
		d.Layers = append(d.Layers, hl)
	}
	if w := r.Weights; w != nil {
		d.Weights = &htmlreport.WeightsSummary{File: w.File, Unused: w.Unused, Missing: w.Missing, Mismatch: w.Mismatch}
	}
	return d
}

func htmlBlobs(bs []BlobInfo) []htmlreport.Blob {
	out := make([]htmlreport.Blob, len(bs))
	for i, b := range bs {
		out[i] = htmlreport.Blob{Name: b.Name, Shape: b.Shape}
	}
	return out
}
