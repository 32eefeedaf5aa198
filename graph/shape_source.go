package graph

import "fmt"

// declaredShapes gives the top shapes an Input or data layer declares; a
// nil entry is unknown (to be supplied with --input).
func declaredShapes(op Op, nTops int) ([]Shape, error) {
	out := make([]Shape, nTops)
	switch o := op.(type) {
	case *Input:
		// Caffe's InputLayer: shape given once (shared by every top),
		// once per top, or not at all.
		switch ns := len(o.Shapes); {
		case ns == 0:
		case ns == 1 || ns == nTops:
			for i := range out {
				s := o.Shapes[0]
				if ns > 1 {
					s = o.Shapes[i]
				}
				for _, d := range s {
					if d < 0 {
						return nil, ferr("input_param.shape", "shape %v has a negative dimension", []int(s))
					}
				}
				out[i] = append(Shape{}, s...)
			}
		default:
			return nil, ferr("input_param.shape", "must be specified once, once per top blob (%d), or not at all; got %d shapes", nTops, ns)
		}
	case *DataSource:
		for i := range out {
			if i >= len(o.Shapes) || len(o.Shapes[i]) == 0 {
				continue
			}
			s := o.Shapes[i]
			unknown := false
			for _, d := range s {
				if d <= 0 {
					unknown = true
				}
			}
			if !unknown {
				out[i] = append(Shape{}, s...)
			}
		}
	default:
		return nil, fmt.Errorf("internal error: %s is not an input layer", op.Type())
	}
	return out, nil
}

func (o *Input) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }
func (o *Input) infer(in []Shape, nTops int) ([]Shape, error)       { return knownSources(o, nTops) }

func (o *DataSource) InferShapes(in []Shape, nTops int) ([]Shape, error) {
	return checked(o, in, nTops)
}
func (o *DataSource) infer(in []Shape, nTops int) ([]Shape, error) { return knownSources(o, nTops) }

func knownSources(op Op, nTops int) ([]Shape, error) {
	out, err := declaredShapes(op, nTops)
	if err != nil {
		return nil, err
	}
	for i, s := range out {
		if s == nil {
			return nil, ferr(fmt.Sprintf("top[%d]", i), "unknown input shape; pass --input")
		}
	}
	return out, nil
}

func (o *Parameter) InferShapes(in []Shape, nTops int) ([]Shape, error) {
	return checked(o, in, nTops)
}
func (o *Parameter) infer(in []Shape, nTops int) ([]Shape, error) {
	s, err := o.ParamShapes(in)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ParamShapes is the one blob the Parameter layer owns and outputs.
func (o *Parameter) ParamShapes(in []Shape) ([]Shape, error) {
	for _, d := range o.Shape {
		if d < 0 {
			return nil, ferr("parameter_param.shape", "shape %v has a negative dimension", []int(o.Shape))
		}
	}
	return []Shape{append(Shape{}, o.Shape...)}, nil
}

// Fillers: Caffe's ParameterLayer zero-initialises its blob.
func (o *Parameter) Fillers() []Filler { return []Filler{DefaultFiller()} }

func (o *Unknown) InferShapes(in []Shape, nTops int) ([]Shape, error) { return checked(o, in, nTops) }
func (o *Unknown) infer(in []Shape, nTops int) ([]Shape, error) {
	return nil, fmt.Errorf("unknown layer type %q: its output shapes cannot be inferred", o.Kind)
}
