package passes_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/caffetool/caffetool/graph"
)

// This file holds the test net builder and a naive float64 reference
// forward pass (2-D convolution with group, deconvolution, inner product,
// BatchNorm, Scale, ReLU, Eltwise sum, Silence), written straight from Caffe's
// definitions so the folding math is checked independently of package exec.

type builder struct {
	t   *testing.T
	g   *graph.Graph
	rng *rand.Rand
}

func newBuilder(t *testing.T, seed int64) *builder {
	return &builder{t: t, g: graph.New("test"), rng: rand.New(rand.NewSource(seed))}
}

func (b *builder) add(name string, op graph.Op, bottoms, tops []string, params ...*graph.Tensor) *graph.Node {
	b.t.Helper()
	n := &graph.Node{Name: name, Type: op.Type(), Op: op, Params: params}
	if err := b.g.Add(n, bottoms, tops); err != nil {
		b.t.Fatal(err)
	}
	return n
}

// uniform returns a tensor with values in [lo, hi).
func (b *builder) uniform(lo, hi float64, shape ...int) *graph.Tensor {
	t := graph.NewTensor(graph.Shape(shape))
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*b.rng.Float64())
	}
	return t
}

func (b *builder) input(name string, shape ...int) {
	b.add(name, &graph.Input{Shapes: []graph.Shape{shape}}, nil, []string{name})
}

// batchNorm adds a use_global_stats BatchNorm over c channels with Caffe's
// stored form b0 = mean·s, b1 = var·s, b2 = [s].
func (b *builder) batchNorm(name, bottom, top string, c int, s float32) *graph.Node {
	mean := b.uniform(-0.5, 0.5, c)
	variance := b.uniform(0.5, 1.5, c)
	for i := range mean.Data {
		mean.Data[i] *= s
		variance.Data[i] *= s
	}
	sf := graph.NewTensor(graph.Shape{1})
	sf.Data[0] = s
	return b.add(name, &graph.BatchNorm{UseGlobalStats: true, MovingAverageFraction: 0.999, Eps: 1e-5},
		[]string{bottom}, []string{top}, mean, variance, sf)
}

func (b *builder) scale(name, bottom, top string, c int, bias bool) *graph.Node {
	params := []*graph.Tensor{b.uniform(0.5, 1.5, c)}
	if bias {
		params = append(params, b.uniform(-0.3, 0.3, c))
	}
	return b.add(name, &graph.Scale{Axis: 1, NumAxes: 1, BiasTerm: bias}, []string{bottom}, []string{top}, params...)
}

// feeds returns random inputs for every Input layer.
func (b *builder) feeds() map[string]*graph.Tensor {
	in := map[string]*graph.Tensor{}
	for _, n := range b.g.Nodes {
		if op, ok := n.Op.(*graph.Input); ok {
			for i, t := range n.Tops {
				in[t.Blob] = b.uniform(-1, 1, op.Shapes[i]...)
			}
		}
	}
	return in
}

// arr is a float64 reference blob.
type arr struct {
	shape []int
	data  []float64
}

func newArr(shape ...int) *arr {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &arr{shape: append([]int(nil), shape...), data: make([]float64, n)}
}

// refForward runs g on the inputs and returns every value by name.
func refForward(g *graph.Graph, inputs map[string]*graph.Tensor) (map[string]*arr, error) {
	vals := map[*graph.Value]*arr{}
	for _, n := range g.Nodes {
		var in []*arr
		for _, b := range n.Bottoms {
			in = append(in, vals[b])
		}
		out, err := refLayer(n, in, inputs)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", n.Name, err)
		}
		for i, t := range n.Tops {
			vals[t] = out[i]
		}
	}
	res := map[string]*arr{}
	for v, a := range vals {
		res[v.Name()] = a
	}
	return res, nil
}

func f64(t *graph.Tensor) []float64 {
	out := make([]float64, len(t.Data))
	for i, v := range t.Data {
		out[i] = float64(v)
	}
	return out
}

func refLayer(n *graph.Node, in []*arr, inputs map[string]*graph.Tensor) ([]*arr, error) {
	switch op := n.Op.(type) {
	case *graph.Input:
		var out []*arr
		for _, t := range n.Tops {
			x := inputs[t.Blob]
			if x == nil {
				return nil, fmt.Errorf("no input %s", t.Blob)
			}
			out = append(out, &arr{shape: append([]int(nil), x.Shape...), data: f64(x)})
		}
		return out, nil
	case *graph.Conv:
		if op.Deconv {
			return []*arr{refDeconv(op, in[0], n.Params)}, nil
		}
		return []*arr{refConv(op, in[0], n.Params)}, nil
	case *graph.InnerProduct:
		return []*arr{refIP(op, in[0], n.Params)}, nil
	case *graph.BatchNorm:
		x := in[0]
		s := float64(n.Params[2].Data[0])
		f := 0.0
		if s != 0 {
			f = 1 / s
		}
		return []*arr{perChannel(x, func(ch int, v float64) float64 {
			mean := f * float64(n.Params[0].Data[ch])
			variance := f * float64(n.Params[1].Data[ch])
			return (v - mean) / math.Sqrt(variance+float64(op.Eps))
		})}, nil
	case *graph.Scale:
		if axis, err := graph.CanonicalAxis(op.Axis, len(in[0].shape)); len(in) != 1 || err != nil || axis != 1 {
			return nil, fmt.Errorf("reference Scale handles one bottom on axis 1 only")
		}
		return []*arr{perChannel(in[0], func(ch int, v float64) float64 {
			y := float64(n.Params[0].Data[ch]) * v
			if op.BiasTerm {
				y += float64(n.Params[1].Data[ch])
			}
			return y
		})}, nil
	case *graph.ReLU:
		x := in[0]
		out := newArr(x.shape...)
		for i, v := range x.data {
			out.data[i] = math.Max(v, 0)
		}
		return []*arr{out}, nil
	case *graph.Silence:
		return nil, nil
	case *graph.Eltwise:
		out := newArr(in[0].shape...)
		for _, x := range in {
			for i, v := range x.data {
				out.data[i] += v
			}
		}
		return []*arr{out}, nil
	}
	return nil, fmt.Errorf("reference forward has no %s", n.Op.Type())
}

// perChannel applies f to every element with its axis-1 index.
func perChannel(x *arr, f func(ch int, v float64) float64) *arr {
	out := newArr(x.shape...)
	c := x.shape[1]
	inner := 1
	for _, d := range x.shape[2:] {
		inner *= d
	}
	for i, v := range x.data {
		out.data[i] = f((i/inner)%c, v)
	}
	return out
}

func convGeom(op *graph.Conv) (k, s, p, d, group int) {
	k, s, p, d, group = op.Kernel[0], 1, 0, 1, op.Group
	if len(op.Stride) > 0 {
		s = op.Stride[0]
	}
	if len(op.Pad) > 0 {
		p = op.Pad[0]
	}
	if len(op.Dilation) > 0 {
		d = op.Dilation[0]
	}
	if group < 1 {
		group = 1
	}
	return
}

func refConv(op *graph.Conv, x *arr, params []*graph.Tensor) *arr {
	k, s, p, d, group := convGeom(op)
	n, cin, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	if op.Depthwise {
		group = cin
	}
	cout := op.NumOutput
	ho := (h+2*p-(d*(k-1)+1))/s + 1
	wo := (w+2*p-(d*(k-1)+1))/s + 1
	out := newArr(n, cout, ho, wo)
	wt := params[0].Data
	inG, outG := cin/group, cout/group
	for b := 0; b < n; b++ {
		for o := 0; o < cout; o++ {
			g := o / outG
			for y := 0; y < ho; y++ {
				for xx := 0; xx < wo; xx++ {
					sum := 0.0
					if op.BiasTerm {
						sum = float64(params[1].Data[o])
					}
					for ci := 0; ci < inG; ci++ {
						ic := g*inG + ci
						for ky := 0; ky < k; ky++ {
							iy := y*s - p + ky*d
							if iy < 0 || iy >= h {
								continue
							}
							for kx := 0; kx < k; kx++ {
								ix := xx*s - p + kx*d
								if ix < 0 || ix >= w {
									continue
								}
								wv := float64(wt[((o*inG+ci)*k+ky)*k+kx])
								sum += wv * x.data[((b*cin+ic)*h+iy)*w+ix]
							}
						}
					}
					out.data[((b*cout+o)*ho+y)*wo+xx] = sum
				}
			}
		}
	}
	return out
}

// refDeconv scatters each input pixel through the [C_in, C_out/group, k, k]
// weight, Caffe's Deconvolution (the transpose of its convolution).
func refDeconv(op *graph.Conv, x *arr, params []*graph.Tensor) *arr {
	k, s, p, d, group := convGeom(op)
	n, cin, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	if op.Depthwise {
		group = cin
	}
	cout := op.NumOutput
	ho := s*(h-1) + d*(k-1) + 1 - 2*p
	wo := s*(w-1) + d*(k-1) + 1 - 2*p
	out := newArr(n, cout, ho, wo)
	wt := params[0].Data
	inG, outG := cin/group, cout/group
	for b := 0; b < n; b++ {
		for i := 0; i < cin; i++ {
			g := i / inG
			for j := 0; j < outG; j++ {
				o := g*outG + j
				for y := 0; y < h; y++ {
					for xx := 0; xx < w; xx++ {
						v := x.data[((b*cin+i)*h+y)*w+xx]
						for ky := 0; ky < k; ky++ {
							oy := y*s - p + ky*d
							if oy < 0 || oy >= ho {
								continue
							}
							for kx := 0; kx < k; kx++ {
								ox := xx*s - p + kx*d
								if ox < 0 || ox >= wo {
									continue
								}
								out.data[((b*cout+o)*ho+oy)*wo+ox] += v * float64(wt[((i*outG+j)*k+ky)*k+kx])
							}
						}
					}
				}
			}
		}
		if op.BiasTerm {
			for o := 0; o < cout; o++ {
				for i := 0; i < ho*wo; i++ {
					out.data[(b*cout+o)*ho*wo+i] += float64(params[1].Data[o])
				}
			}
		}
	}
	return out
}

// refIP is InnerProduct with axis 1: [N, K] → [N, C].
func refIP(op *graph.InnerProduct, x *arr, params []*graph.Tensor) *arr {
	n := x.shape[0]
	kk := len(x.data) / n
	c := op.NumOutput
	out := newArr(n, c)
	wt := params[0].Data
	for b := 0; b < n; b++ {
		for o := 0; o < c; o++ {
			sum := 0.0
			if op.BiasTerm {
				sum = float64(params[1].Data[o])
			}
			for i := 0; i < kk; i++ {
				var wv float32
				if op.Transpose {
					wv = wt[i*c+o]
				} else {
					wv = wt[o*kk+i]
				}
				sum += float64(wv) * x.data[b*kk+i]
			}
			out.data[b*c+o] = sum
		}
	}
	return out
}

// closeEnough checks max |got − want| ≤ 1e-4·max(1, |want|) elementwise.
func closeEnough(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst, at := 0.0, -1
	for i := range want {
		d := math.Abs(got[i] - want[i])
		if d > 1e-4*math.Max(1, math.Abs(want[i])) && d > worst {
			worst, at = d, i
		}
	}
	if at >= 0 {
		t.Fatalf("%s: element %d is %g, want %g (|diff| %g)", what, at, got[at], want[at], worst)
	}
}
