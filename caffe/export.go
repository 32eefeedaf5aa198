package caffe

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
)

// Export renders g — the net's graph, possibly rewritten by passes — as a
// prototxt and a caffemodel. Each node must come from a layer of net.Param
// (matched by name): its layer parameter is kept, with the node's bottoms,
// tops, param specs and bias_term written back, so only what passes change
// is re-encoded. Fork fields the parser skipped are not written: the files
// hold standard fields only. The caffemodel holds every layer with its
// blobs, as Caffe's Net::ToProto does.
func (net *Net) Export(g *graph.Graph) (text, model []byte, err error) {
	layers, err := net.exportLayers(g)
	if err != nil {
		return nil, nil, err
	}
	textNet := &caffepb.NetParameter{Name: proto.String(g.Name), Layer: layers}
	modelNet := &caffepb.NetParameter{Name: proto.String(g.Name)}
	for i, l := range layers {
		m := proto.Clone(l).(*caffepb.LayerParameter)
		for j, p := range g.Nodes[i].Params {
			if p == nil {
				return nil, nil, &graph.LayerError{Layer: l.GetName(), Type: l.GetType(), Field: fmt.Sprintf("param[%d]", j), Err: fmt.Errorf("not loaded")}
			}
			m.Blobs = append(m.Blobs, EncodeBlob(p.Shape, p.Data))
		}
		modelNet.Layer = append(modelNet.Layer, m)
	}
	text = MarshalText(textNet, nil)
	model, err = MarshalBinary(modelNet)
	return text, model, err
}

// ExportWeights writes only the caffemodel of g (for init).
func (net *Net) ExportWeights(g *graph.Graph) ([]byte, error) {
	_, model, err := net.Export(g)
	return model, err
}

func (net *Net) exportLayers(g *graph.Graph) ([]*caffepb.LayerParameter, error) {
	byName := map[string]*caffepb.LayerParameter{}
	for _, l := range net.Param.GetLayer() {
		if _, dup := byName[l.GetName()]; !dup {
			byName[l.GetName()] = l
		}
	}
	var out []*caffepb.LayerParameter
	for _, n := range g.Nodes {
		orig := byName[n.Name]
		if orig == nil {
			return nil, &graph.LayerError{Layer: n.Name, Type: n.Type, Err: fmt.Errorf("layer is not in the original net; cannot export it")}
		}
		l := proto.Clone(orig).(*caffepb.LayerParameter)
		l.Blobs = nil
		l.Bottom = l.Bottom[:0]
		for _, b := range n.Bottoms {
			l.Bottom = append(l.Bottom, b.Blob)
		}
		l.Top = l.Top[:0]
		for _, t := range n.Tops {
			l.Top = append(l.Top, t.Blob)
		}
		switch op := n.Op.(type) {
		case *graph.Conv:
			if l.ConvolutionParam == nil {
				l.ConvolutionParam = &caffepb.ConvolutionParameter{}
			}
			l.ConvolutionParam.BiasTerm = proto.Bool(op.BiasTerm)
		case *graph.InnerProduct:
			if l.InnerProductParam == nil {
				l.InnerProductParam = &caffepb.InnerProductParameter{}
			}
			l.InnerProductParam.BiasTerm = proto.Bool(op.BiasTerm)
		}
		if len(n.ParamSpecs) > 0 || len(l.Param) > 0 {
			l.Param = nil
			for _, ps := range n.ParamSpecs {
				p := &caffepb.ParamSpec{LrMult: proto.Float32(ps.LrMult), DecayMult: proto.Float32(ps.DecayMult)}
				if ps.Name != "" {
					p.Name = proto.String(ps.Name)
				}
				l.Param = append(l.Param, p)
			}
		}
		out = append(out, l)
	}
	return out, nil
}
