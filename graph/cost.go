package graph

import "fmt"

// Cost accounting
//
// Cost figures are static estimates from the inferred shapes, for reports
// such as `caffetool info`. Conventions:
//
// MACs (multiply-accumulates) per forward pass of the whole batch:
//
//	Convolution    prod(k) · (C_in/group) · C_out · prod(out_spatial) · N
//	Deconvolution  prod(k) · (C_out/group) · C_in · prod(in_spatial) · N
//	InnerProduct   K · N_out · M            (M = count of the axes before axis)
//	Pooling        prod(kernel) · count(top) (global: kernel = H·W)
//	SPP            the same, summed over the pyramid levels
//	Eltwise        (bottoms − 1) · count
//	BatchNorm, Scale, Bias   count          (one MAC per element)
//	LRN            local_size · count (ACROSS_CHANNELS), local_size² · count (WITHIN_CHANNEL)
//	Softmax        count                    (exp + sum + divide counted as one)
//	everything else 0 (activations, data movement, losses, recurrent nets)
//
// N is the product of the axes before the channel axis. Params is the sum
// of the element counts of the node's parameter blobs (ParamShapesOf);
// OutputBytes is 4 bytes (float32) times the element count of every top,
// in-place tops included.

// Cost is the static cost of one node or a sum of nodes.
type Cost struct {
	MACs        int64
	Params      int64
	OutputBytes int64
}

// add sums costs, failing on int64 overflow.
func (c Cost) add(o Cost) (Cost, error) {
	var r Cost
	var ok1, ok2, ok3 bool
	r.MACs, ok1 = add64(c.MACs, o.MACs)
	r.Params, ok2 = add64(c.Params, o.Params)
	r.OutputBytes, ok3 = add64(c.OutputBytes, o.OutputBytes)
	if !ok1 || !ok2 || !ok3 {
		return Cost{}, fmt.Errorf("cost total overflows int64")
	}
	return r, nil
}

// NodeCost computes node n's cost. Shapes must have been inferred.
func NodeCost(n *Node) (Cost, error) {
	var c Cost
	in, err := inputShapes(n)
	if err != nil {
		return c, layerError(n, err)
	}
	for i, t := range n.Tops {
		if t == nil || t.Shape == nil {
			return c, layerError(n, ferr(fmt.Sprintf("top[%d]", i), "top shape unknown; run InferShapes first"))
		}
		b, ok := mul64(int64(t.Shape.Count()), 4)
		if !ok {
			return c, layerError(n, fmt.Errorf("output size overflows"))
		}
		if c.OutputBytes, ok = add64(c.OutputBytes, b); !ok {
			return c, layerError(n, fmt.Errorf("output size overflows"))
		}
	}
	ps, err := ParamShapesOf(n)
	if err != nil {
		return c, err
	}
	for _, s := range ps {
		var ok bool
		if c.Params, ok = add64(c.Params, int64(s.Count())); !ok {
			return c, layerError(n, fmt.Errorf("parameter count overflows"))
		}
	}
	var top Shape
	if len(n.Tops) > 0 {
		top = n.Tops[0].Shape
	}
	macs, ok, err := nodeMACs(n.Op, in, top)
	if err != nil {
		return c, layerError(n, err)
	}
	if !ok {
		return c, layerError(n, fmt.Errorf("MAC count overflows int64"))
	}
	c.MACs = macs
	return c, nil
}

// nodeMACs applies the MAC conventions above; ok is false on overflow.
func nodeMACs(op Op, in []Shape, top Shape) (int64, bool, error) {
	count := int64(top.Count())
	switch o := op.(type) {
	case *Conv:
		g, err := o.Geometry(in[0])
		if err != nil {
			return 0, false, err
		}
		k, ok1 := prod64(g.Kernel...)
		a, b, spatial := int64(g.Channels/g.Group), int64(o.NumOutput), g.OutSpatial
		if o.Deconv {
			a, b, spatial = int64(o.NumOutput/g.Group), int64(g.Channels), g.InSpatial
		}
		sp, ok2 := prod64(spatial...)
		// A Convolution with several bottoms runs once per bottom.
		m, ok3 := mulAll(k, a, b, sp, int64(g.Outer), int64(len(in)))
		return m, ok1 && ok2 && ok3, nil
	case *InnerProduct:
		axis, k, err := o.ipDims(in[0])
		if err != nil {
			return 0, false, err
		}
		m, ok := prod64(k, o.NumOutput, in[0].CountRange(0, axis))
		return m, ok, nil
	case *Pool:
		g, err := o.Geometry(in[0])
		if err != nil {
			return 0, false, err
		}
		m, ok := mul64(int64(g.KernelH)*int64(g.KernelW), count)
		return m, ok, nil
	case *SPP:
		levels, err := o.Levels(in[0])
		if err != nil {
			return 0, false, err
		}
		nc := int64(in[0][0]) * int64(in[0][1])
		var total int64
		for _, l := range levels {
			m, ok := prod64(l.KernelH, l.KernelW, l.OutH, l.OutW)
			m, ok2 := mul64(m, nc)
			var ok3 bool
			total, ok3 = add64(total, m)
			if !ok || !ok2 || !ok3 {
				return 0, false, nil
			}
		}
		return total, true, nil
	case *Eltwise:
		m, ok := mul64(int64(len(in)-1), count)
		return m, ok, nil
	case *BatchNorm, *Scale, *Bias, *Softmax:
		return count, true, nil
	case *LRN:
		size := int64(o.LocalSize)
		if o.Region == WithinChannel {
			size *= size
		}
		m, ok := mul64(size, count)
		return m, ok, nil
	}
	return 0, true, nil
}

func mulAll(v ...int64) (int64, bool) {
	r := int64(1)
	for _, x := range v {
		var ok bool
		if r, ok = mul64(r, x); !ok {
			return 0, false
		}
	}
	return r, true
}

// Costs gives the cost of every node (aligned with g.Nodes) and the
// total. The total counts a parameter blob shared by name (ParamSpec.Name)
// only once; per-node figures include every blob the node uses.
func (g *Graph) Costs() ([]Cost, Cost, error) {
	per := make([]Cost, len(g.Nodes))
	var total Cost
	shared := map[string]bool{}
	for i, n := range g.Nodes {
		c, err := NodeCost(n)
		if err != nil {
			return nil, Cost{}, err
		}
		per[i] = c
		sum := c
		if len(n.ParamSpecs) > 0 {
			ps, err := ParamShapesOf(n)
			if err != nil {
				return nil, Cost{}, err
			}
			for j, s := range ps {
				if j < len(n.ParamSpecs) && n.ParamSpecs[j].Name != "" {
					if shared[n.ParamSpecs[j].Name] {
						sum.Params -= int64(s.Count())
					}
					shared[n.ParamSpecs[j].Name] = true
				}
			}
		}
		if total, err = total.add(sum); err != nil {
			return nil, Cost{}, err
		}
	}
	return per, total, nil
}
