package caffe

import (
	"github.com/caffetool/caffetool/graph"
)

// Input, Parameter and the data layers. A data layer's shapes come partly
// from its parameters and partly from its database or files; what the
// parameters do not fix is 0 (unknown, to be given with --input).

func decodeInput(d *layerDecoder) (graph.Op, error) {
	o := &graph.Input{}
	for _, s := range d.l.GetInputParam().GetShape() {
		o.Shapes = append(o.Shapes, blobShape(s))
	}
	return o, nil
}

func decodeParameter(d *layerDecoder) (graph.Op, error) {
	s := blobShape(d.l.GetParameterParam().GetShape())
	if s == nil {
		s = graph.Shape{}
	}
	return &graph.Parameter{Shape: s}, nil
}

// withLabels returns the data top followed by a [batch] label shape for
// every further top (Caffe's data layers reshape the label to batch_size).
func (d *layerDecoder) withLabels(data graph.Shape, batch int) []graph.Shape {
	out := make([]graph.Shape, len(d.l.Top))
	for i := range out {
		if i == 0 {
			out[i] = data
		} else {
			out[i] = graph.Shape{batch}
		}
	}
	return out
}

// cropped applies transform_param.crop_size to H and W of a 4-D data shape.
func (d *layerDecoder) cropped(s graph.Shape) graph.Shape {
	if c := int(d.l.GetTransformParam().GetCropSize()); c > 0 && len(s) == 4 {
		s[2], s[3] = c, c
	}
	return s
}

// decodeData: Data reads Datums whose size is in the database; only the
// batch (and a crop) are known.
func decodeData(d *layerDecoder) (graph.Op, error) {
	b := int(d.l.GetDataParam().GetBatchSize())
	return &graph.DataSource{Kind: d.typ, Shapes: d.withLabels(d.cropped(graph.Shape{b, 0, 0, 0}), b)}, nil
}

// decodeImageData: colour images have 3 channels, grey ones 1; the size is
// new_height x new_width when both are set (a crop overrides it).
func decodeImageData(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetImageDataParam()
	b := int(p.GetBatchSize())
	c := 1
	if p.GetIsColor() {
		c = 3
	}
	s := graph.Shape{b, c, 0, 0}
	if p.GetNewHeight() > 0 && p.GetNewWidth() > 0 {
		s[2], s[3] = int(p.GetNewHeight()), int(p.GetNewWidth())
	}
	return &graph.DataSource{Kind: d.typ, Shapes: d.withLabels(d.cropped(s), b)}, nil
}

// decodeMemoryData: every dimension is a parameter and must be positive.
func decodeMemoryData(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetMemoryDataParam()
	s := graph.Shape{int(p.GetBatchSize()), int(p.GetChannels()), int(p.GetHeight()), int(p.GetWidth())}
	for _, v := range s {
		if v <= 0 {
			return nil, d.fail("memory_data_param", "batch_size, channels, height, and width must be specified and positive, got %v", []int(s))
		}
	}
	return &graph.DataSource{Kind: d.typ, Shapes: d.withLabels(s, s[0])}, nil
}

// decodeDummyData follows DummyDataLayer::LayerSetUp: shapes given once or
// once per top, either as `shape` or by the legacy num/channels/height/width
// lists (each once or once per top), never both.
func decodeDummyData(d *layerDecoder) (graph.Op, error) {
	p := d.l.GetDummyDataParam()
	nTop := len(d.l.Top)
	if n := len(p.GetDataFiller()); n != 0 && n != 1 && n != nTop {
		return nil, d.fail("dummy_data_param.data_filler", "must be specified once, once per top blob (%d), or not at all; got %d", nTop, n)
	}
	legacy := len(p.GetNum()) > 0 || len(p.GetChannels()) > 0 || len(p.GetHeight()) > 0 || len(p.GetWidth()) > 0
	o := &graph.DataSource{Kind: d.typ, Shapes: make([]graph.Shape, nTop)}
	if legacy {
		if len(p.GetShape()) > 0 {
			return nil, d.fail("dummy_data_param.shape", "both shape and the legacy num/channels/height/width fields were specified")
		}
		lists := []struct {
			name string
			v    []uint32
		}{{"num", p.GetNum()}, {"channels", p.GetChannels()}, {"height", p.GetHeight()}, {"width", p.GetWidth()}}
		for _, l := range lists {
			if len(l.v) != 1 && len(l.v) != nTop {
				return nil, d.fail("dummy_data_param."+l.name, "must be specified once, or once per top blob (%d); got %d", nTop, len(l.v))
			}
		}
		for i := range o.Shapes {
			s := make(graph.Shape, 4)
			for j, l := range lists {
				k := i
				if len(l.v) == 1 {
					k = 0
				}
				s[j] = int(l.v[k])
			}
			o.Shapes[i] = s
		}
		return o, nil
	}
	if n := len(p.GetShape()); n != 1 && n != nTop {
		return nil, d.fail("dummy_data_param.shape", "must be specified once, or once per top blob (%d); got %d", nTop, n)
	}
	for i := range o.Shapes {
		k := i
		if len(p.GetShape()) == 1 {
			k = 0
		}
		o.Shapes[i] = blobShape(p.GetShape()[k])
	}
	return o, nil
}

// decodeHDF5Data: every top's shape (even its rank) is in the HDF5 files.
func decodeHDF5Data(d *layerDecoder) (graph.Op, error) {
	return &graph.DataSource{Kind: d.typ, Shapes: make([]graph.Shape, len(d.l.Top))}, nil
}

// decodeWindowData: colour crops of crop_size (WindowDataLayer requires a
// crop) and a [batch] label.
func decodeWindowData(d *layerDecoder) (graph.Op, error) {
	b := int(d.l.GetWindowDataParam().GetBatchSize())
	c := int(d.l.GetTransformParam().GetCropSize())
	if c <= 0 {
		return nil, d.fail("transform_param.crop_size", "WindowData needs a positive crop_size")
	}
	return &graph.DataSource{Kind: d.typ, Shapes: d.withLabels(graph.Shape{b, 3, c, c}, b)}, nil
}

// decodeAnnotatedData (SSD fork): images like Data; the label top holds a
// variable number of boxes, so its shape is unknown.
func decodeAnnotatedData(d *layerDecoder) (graph.Op, error) {
	b := int(d.l.GetDataParam().GetBatchSize())
	o := &graph.DataSource{Kind: d.typ, Shapes: make([]graph.Shape, len(d.l.Top))}
	if len(o.Shapes) > 0 {
		o.Shapes[0] = d.cropped(graph.Shape{b, 0, 0, 0})
	}
	return o, nil
}

// decodePython: a Python layer's tops are whatever its module makes.
func decodePython(d *layerDecoder) (graph.Op, error) {
	return &graph.DataSource{Kind: d.typ, Shapes: make([]graph.Shape, len(d.l.Top))}, nil
}
