package htmlreport

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/graph"
)

// zooNet loads a net of $CAFFETOOL_SHARED/zoo and infers its shapes, or
// skips the test when the shared data is not available.
func zooNet(t testing.TB, rel string) (*caffe.Net, string) {
	t.Helper()
	dir := os.Getenv("CAFFETOOL_SHARED")
	if dir == "" {
		t.Skip("CAFFETOOL_SHARED not set; skipping test on zoo nets")
	}
	path := filepath.Join(dir, "zoo", rel)
	net, err := caffe.Load(path, "", caffe.LoadOptions{})
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if err := net.Graph.InferShapes(nil); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return net, path
}

// inPlaceLayers counts layers with a top that rewrites one of their bottoms.
func inPlaceLayers(g *graph.Graph) int {
	n := 0
	for _, nd := range g.Nodes {
		for i := range nd.Tops {
			if nd.InPlace(i) {
				n++
				break
			}
		}
	}
	return n
}

// dataFor builds the summary the CLI would pass (inspect's JSON report).
func dataFor(t testing.TB, net *caffe.Net, file string) Data {
	t.Helper()
	g := net.Graph
	d := Data{Name: g.Name, File: file, Phase: "TEST", Warnings: net.Warnings}
	for _, v := range g.Inputs() {
		d.Inputs = append(d.Inputs, Blob{v.Blob, v.Shape})
	}
	for _, v := range g.Outputs() {
		d.Outputs = append(d.Outputs, Blob{v.Blob, v.Shape})
	}
	for _, n := range g.Nodes {
		c, err := graph.NodeCost(n)
		if err != nil {
			t.Fatal(err)
		}
		l := Layer{Index: n.Index, Name: n.Name, Type: n.Type, Params: c.Params, MACs: c.MACs, OutputBytes: c.OutputBytes}
		shapes, err := graph.ParamShapesOf(n)
		if err != nil {
			t.Fatal(err)
		}
		var fillers []graph.Filler
		if p, ok := n.Op.(graph.Parametric); ok {
			fillers = p.Fillers()
		}
		for i, s := range shapes {
			pb := ParamBlob{Shape: s, LrMult: 1, DecayMult: 1}
			if i < len(n.ParamSpecs) {
				pb.Name, pb.LrMult, pb.DecayMult = n.ParamSpecs[i].Name, n.ParamSpecs[i].LrMult, n.ParamSpecs[i].DecayMult
			}
			if i < len(fillers) {
				pb.Filler = fillers[i].String()
			}
			pb.Loaded = i < len(n.Params) && n.Params[i] != nil
			l.ParamBlobs = append(l.ParamBlobs, pb)
		}
		d.Layers = append(d.Layers, l)
		d.Totals.Params += c.Params
		d.Totals.MACs += c.MACs
		d.Totals.OutputBytes += c.OutputBytes
	}
	d.Totals.Layers = len(g.Nodes)
	return d
}
