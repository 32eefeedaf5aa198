package passes

import (
	"fmt"
	"math"
	"strings"

	"github.com/caffetool/caffetool/graph"
)

// FuseBatchNorm folds inference-mode BatchNorm and per-channel Scale layers
// into the Convolution, Deconvolution or InnerProduct that feeds them. See
// the package documentation for the math and the refusal rules.
type FuseBatchNorm struct{}

func (FuseBatchNorm) Name() string { return "fuse-batchnorm" }

// affine is one per-channel stage y_c = scale_c·x_c + shift_c.
type affine struct {
	scale, shift []float64
}

// producer is a validated fold target.
type producer struct {
	node *graph.Node
	c    int // output channels
	// scaleWeights multiplies every weight feeding output channel c by
	// a[c], in place in the tensor it is given.
	scaleWeights func(w []float32, a []float64)
}

func (FuseBatchNorm) Apply(g *graph.Graph, keep map[string]bool) (Report, error) {
	rep := Report{Pass: FuseBatchNorm{}.Name()}
	g.Reindex()
	orig := nameValues(g)
	shared := sharedParamNames(g)
	removed := map[*graph.Node]bool{}
	for _, n := range append([]*graph.Node(nil), g.Nodes...) {
		if removed[n] || !isAffineLayer(n) {
			continue
		}
		var p producer
		var first affine
		reason := checkStage(n, shared)
		if reason == "" {
			p, reason = checkProducer(n, orig, keep, shared)
		}
		if reason == "" {
			first, reason = stageAffine(n, p.c)
		}
		if reason != "" {
			rep.Entries = append(rep.Entries, Entry{Layer: n.Name, Type: n.Type, Action: Refused, Reason: reason})
			continue
		}
		chain := []*graph.Node{n}
		stages := []affine{first}
		// Extend while the chain's current output feeds exactly one more
		// foldable stage and is not itself kept. A stage that stops the
		// chain is visited later as its own candidate and reports why.
		for {
			last := chain[len(chain)-1].Tops[0]
			if len(last.Consumers) != 1 || orig.kept(keep, last) {
				break
			}
			m := last.Consumers[0]
			if !isAffineLayer(m) || checkStage(m, shared) != "" || m.Bottoms[0] != last {
				break
			}
			st, why := stageAffine(m, p.c)
			if why != "" {
				break
			}
			chain = append(chain, m)
			stages = append(stages, st)
		}
		note, err := fold(p, stages)
		if err != nil {
			return rep, err
		}
		names := make([]string, len(chain))
		for i, m := range chain {
			names[i] = m.Name
			removed[m] = true
		}
		// The chain's last value survives as the producer's top, so every
		// consumer and any reference to it stay valid; the producer's old
		// top and the intermediates disappear.
		last := chain[len(chain)-1].Tops[0]
		p.node.Tops[0] = last
		last.Producer = p.node
		compact(g, removed)
		rep.Entries = append(rep.Entries, Entry{Layer: n.Name, Type: n.Type, Action: Folded, Into: p.node.Name, Chain: names, Reason: note})
	}
	rep.Renamed = orig.renamed(g)
	return rep, nil
}

func isAffineLayer(n *graph.Node) bool {
	switch n.Op.(type) {
	case *graph.BatchNorm, *graph.Scale:
		return true
	}
	return false
}

// checkProducer validates the layer feeding candidate n and the value
// between them. It returns a non-empty reason to refuse.
// Kept values are named as the caller named them, before this pass.
func checkProducer(n *graph.Node, orig names, keep map[string]bool, shared map[string][]string) (producer, string) {
	if len(n.Bottoms) == 0 {
		return producer{}, "has no bottom"
	}
	v := n.Bottoms[0]
	P := v.Producer
	if P == nil {
		return producer{}, fmt.Sprintf("bottom %s has no producer", v.Name())
	}
	switch P.Op.(type) {
	case *graph.Conv, *graph.InnerProduct:
	default:
		return producer{}, fmt.Sprintf("producer is %s, not a Convolution/Deconvolution/InnerProduct", opType(P))
	}
	if len(P.Bottoms) != 1 || len(P.Tops) != 1 {
		return producer{}, fmt.Sprintf("producer %s has %d bottoms and %d tops sharing its weights; folding would change the others", P.Name, len(P.Bottoms), len(P.Tops))
	}
	if len(v.Consumers) != 1 {
		var readers []string
		for _, c := range v.Consumers {
			if c != n {
				readers = append(readers, c.Name)
			}
		}
		return producer{}, fmt.Sprintf("%s's output %s is also read by %s (a branch needs the unnormalized value)", P.Name, v.Name(), strings.Join(readers, ", "))
	}
	if orig.kept(keep, v) {
		name, ok := orig[v]
		if !ok {
			name = v.Name()
		}
		return producer{}, fmt.Sprintf("value %s is kept observable and would disappear", name)
	}
	if name := sharedParam(P, shared); name != "" {
		return producer{}, fmt.Sprintf("producer %s shares param %q with %s", P.Name, name, others(shared[name], P.Name))
	}
	p, reason := targetOf(P)
	return p, reason
}

// targetOf checks the producer's configuration and weights and returns how
// to scale them.
func targetOf(P *graph.Node) (producer, string) {
	if len(P.Params) == 0 || P.Params[0] == nil {
		return producer{}, fmt.Sprintf("producer %s: parameters not loaded", P.Name)
	}
	w := P.Params[0]
	if len(w.Data) != w.Shape.Count() {
		return producer{}, fmt.Sprintf("producer %s: weight has %d values for shape %v", P.Name, len(w.Data), w.Shape)
	}
	var c int
	var bias bool
	var scale func(w []float32, a []float64)
	switch op := P.Op.(type) {
	case *graph.Conv:
		if why := channelAxisOne(op.Axis, P.Bottoms[0].Shape); why != "" {
			return producer{}, fmt.Sprintf("producer %s: channel axis %s", P.Name, why)
		}
		c, bias = op.NumOutput, op.BiasTerm
		if len(w.Shape) < 2 || c <= 0 {
			return producer{}, fmt.Sprintf("producer %s: weight shape %v does not fit num_output %d", P.Name, w.Shape, c)
		}
		if !op.Deconv {
			// [C_out, C_in/group, k...]: output channel is axis 0,
			// whatever the group.
			if w.Shape[0] != c {
				return producer{}, fmt.Sprintf("producer %s: weight shape %v does not fit num_output %d", P.Name, w.Shape, c)
			}
			scale = scaleRows
			break
		}
		// [C_in, C_out/group, k...]: group g maps input block g to output
		// block g, so W[i, j] feeds output channel g(i)·C_out/group + j.
		cin := w.Shape[0]
		group := op.Group
		if op.Depthwise {
			group = cin
		}
		if group < 1 {
			group = 1
		}
		if cin%group != 0 || w.Shape[1]*group != c {
			return producer{}, fmt.Sprintf("producer %s: deconvolution weight shape %v does not fit num_output %d with group %d", P.Name, w.Shape, c, group)
		}
		outPerGroup := w.Shape[1]
		scale = func(w []float32, a []float64) { scaleDeconv(w, cin, group, outPerGroup, a) }
	case *graph.InnerProduct:
		if why := channelAxisOne(op.Axis, P.Bottoms[0].Shape); why != "" {
			return producer{}, fmt.Sprintf("producer %s: inner product axis %s, so its outputs are not on the channel axis", P.Name, why)
		}
		c, bias = op.NumOutput, op.BiasTerm
		if len(w.Shape) != 2 || c <= 0 {
			return producer{}, fmt.Sprintf("producer %s: weight shape %v does not fit num_output %d", P.Name, w.Shape, c)
		}
		if op.Transpose {
			// [K, N_out]: scale columns.
			if w.Shape[1] != c {
				return producer{}, fmt.Sprintf("producer %s: transposed weight shape %v does not fit num_output %d", P.Name, w.Shape, c)
			}
			scale = func(w []float32, a []float64) { scaleCols(w, c, a) }
		} else {
			if w.Shape[0] != c {
				return producer{}, fmt.Sprintf("producer %s: weight shape %v does not fit num_output %d", P.Name, w.Shape, c)
			}
			scale = scaleRows
		}
	}
	if bias {
		if len(P.Params) < 2 || P.Params[1] == nil {
			return producer{}, fmt.Sprintf("producer %s: bias not loaded", P.Name)
		}
		if b := P.Params[1]; len(b.Data) != c || b.Shape.Count() != c {
			return producer{}, fmt.Sprintf("producer %s: bias shape %v does not fit num_output %d", P.Name, b.Shape, c)
		}
	} else if len(P.Params) > 1 {
		return producer{}, fmt.Sprintf("producer %s: bias_term is false but it has %d params", P.Name, len(P.Params))
	}
	return producer{node: P, c: c, scaleWeights: scale}, ""
}

// channelAxisOne checks that an op's axis is Caffe's channel axis 1, which
// is where BatchNorm and a per-channel Scale read channels. A negative axis
// needs the inferred input rank.
func channelAxisOne(axis int, in graph.Shape) string {
	if axis == 1 {
		return ""
	}
	if axis < 0 && len(in) > 0 {
		if a, err := graph.CanonicalAxis(axis, len(in)); err == nil && a == 1 {
			return ""
		}
	}
	if axis < 0 && len(in) == 0 {
		return fmt.Sprintf("is %d and the input rank is unknown (infer shapes first)", axis)
	}
	return fmt.Sprintf("is %d, not 1", axis)
}

// checkStage validates a BatchNorm or Scale layer's own configuration,
// which needs no producer.
func checkStage(n *graph.Node, shared map[string][]string) string {
	if len(n.Tops) != 1 {
		return fmt.Sprintf("has %d tops", len(n.Tops))
	}
	switch op := n.Op.(type) {
	case *graph.BatchNorm:
		if len(n.Bottoms) != 1 {
			return fmt.Sprintf("has %d bottoms", len(n.Bottoms))
		}
		if !op.UseGlobalStats {
			return "use_global_stats is false: it normalizes with batch statistics, which no fixed weights can reproduce"
		}
	case *graph.Scale:
		if len(n.Bottoms) != 1 {
			return fmt.Sprintf("has %d bottoms: the factor is a blob computed at run time, not a learned parameter", len(n.Bottoms))
		}
		rank := len(n.Bottoms[0].Shape)
		axis := op.Axis
		if axis < 0 && rank > 0 {
			if a, err := graph.CanonicalAxis(axis, rank); err == nil {
				axis = a
			}
		}
		// Per-channel means the scale covers exactly axis 1: num_axes 1, or
		// num_axes -1 on a 2-axis blob such as an InnerProduct output.
		if axis != 1 || !(op.NumAxes == 1 || (op.NumAxes == -1 && rank == 2)) {
			if axis < 0 && rank == 0 {
				return fmt.Sprintf("axis %d cannot be resolved without the input rank (infer shapes first)", op.Axis)
			}
			return fmt.Sprintf("axis %d, num_axes %d is not a per-channel scale (needs axis 1, num_axes 1)", op.Axis, op.NumAxes)
		}
	default:
		return fmt.Sprintf("%s is not BatchNorm or Scale", opType(n))
	}
	if name := sharedParam(n, shared); name != "" {
		return fmt.Sprintf("shares param %q with %s", name, others(shared[name], n.Name))
	}
	return ""
}

// stageAffine reads a checked BatchNorm or Scale layer's params as a
// per-channel affine map over c channels.
func stageAffine(n *graph.Node, c int) (affine, string) {
	st := affine{scale: make([]float64, c), shift: make([]float64, c)}
	switch op := n.Op.(type) {
	case *graph.BatchNorm:
		if why := paramsLoaded(n.Params, 3, []int{c, c, 1}, []string{"mean", "variance", "scale factor"}); why != "" {
			return affine{}, why
		}
		f := 0.0
		if s := float64(n.Params[2].Data[0]); s != 0 {
			f = 1 / s
		}
		for i := 0; i < c; i++ {
			mean := f * float64(n.Params[0].Data[i])
			variance := f * float64(n.Params[1].Data[i])
			d := variance + float64(op.Eps)
			if !(d > 0) || math.IsInf(d, 0) {
				return affine{}, fmt.Sprintf("variance + eps is %g for channel %d, so Caffe itself outputs inf or NaN there", d, i)
			}
			a := 1 / math.Sqrt(d)
			st.scale[i] = a
			st.shift[i] = -a * mean
		}
	case *graph.Scale:
		want, sizes, what := 1, []int{c}, []string{"scale"}
		if op.BiasTerm {
			want, sizes, what = 2, []int{c, c}, []string{"scale", "bias"}
		}
		if why := paramsLoaded(n.Params, want, sizes, what); why != "" {
			return affine{}, why
		}
		for i := 0; i < c; i++ {
			st.scale[i] = float64(n.Params[0].Data[i])
			if op.BiasTerm {
				st.shift[i] = float64(n.Params[1].Data[i])
			}
		}
	default:
		return affine{}, fmt.Sprintf("%s is not BatchNorm or Scale", opType(n))
	}
	return st, ""
}

// paramsLoaded checks that params holds exactly want loaded blobs with the
// given element counts.
func paramsLoaded(params []*graph.Tensor, want int, sizes []int, what []string) string {
	if len(params) != want {
		return fmt.Sprintf("has %d param blobs, want %d", len(params), want)
	}
	for i, t := range params {
		if t == nil {
			return fmt.Sprintf("%s param not loaded", what[i])
		}
		if t.Shape.Count() != sizes[i] || len(t.Data) != sizes[i] {
			return fmt.Sprintf("%s param has shape %v (%d values), want %d values to match the producer's channels", what[i], t.Shape, len(t.Data), sizes[i])
		}
	}
	return ""
}

// fold composes the stages and rewrites the producer's weights and bias:
// with y = A·x + C the composed map, W'[c] = A_c·W[c] and b' = A_c·b_c + C_c.
func fold(p producer, stages []affine) (string, error) {
	a := make([]float64, p.c)
	sh := make([]float64, p.c)
	for i := range a {
		a[i] = 1
	}
	for _, st := range stages {
		for i := range a {
			a[i] = st.scale[i] * a[i]
			sh[i] = st.scale[i]*sh[i] + st.shift[i]
		}
	}
	P := p.node
	note := ""
	var bias *graph.Tensor
	switch op := P.Op.(type) {
	case *graph.Conv:
		if !op.BiasTerm {
			c := *op
			c.BiasTerm = true
			P.Op = &c
			note = addBias(P, p.c)
		}
	case *graph.InnerProduct:
		if !op.BiasTerm {
			c := *op
			c.BiasTerm = true
			P.Op = &c
			note = addBias(P, p.c)
		}
	default:
		return "", &graph.LayerError{Layer: P.Name, Type: P.Type, Err: fmt.Errorf("not a fold target")}
	}
	// New tensors, so that anyone still holding the old ones (another
	// graph, a compiled net) is unaffected.
	w := P.Params[0].Clone()
	p.scaleWeights(w.Data, a)
	bias = P.Params[1].Clone()
	P.Params[0], P.Params[1] = w, bias
	for i := range a {
		bias.Data[i] = float32(a[i]*float64(bias.Data[i]) + sh[i])
	}
	return note, nil
}

// addBias gives a bias-free producer a zero bias blob. Its param spec
// follows Caffe's convention for biases: twice the weight's lr_mult and no
// weight decay. Without param specs the Caffe defaults apply, as before.
func addBias(P *graph.Node, c int) string {
	P.Params = append(P.Params[:1], graph.NewTensor(graph.Shape{c}))
	if len(P.ParamSpecs) == 0 {
		return "added a bias (bias_term was false); no param specs, so Caffe's defaults apply"
	}
	w := P.ParamSpecs[0]
	P.ParamSpecs = append(P.ParamSpecs[:1], graph.ParamSpec{LrMult: 2 * w.LrMult, DecayMult: 0})
	return fmt.Sprintf("added a bias (bias_term was false) with lr_mult %g, decay_mult 0", 2*w.LrMult)
}

func scaleRows(w []float32, a []float64) {
	inner := len(w) / len(a)
	for c, f := range a {
		row := w[c*inner : (c+1)*inner]
		for i := range row {
			row[i] = float32(f * float64(row[i]))
		}
	}
}

func scaleCols(w []float32, c int, a []float64) {
	for i := range w {
		w[i] = float32(a[i%c] * float64(w[i]))
	}
}

// scaleDeconv scales a [C_in, C_out/group, k...] weight.
func scaleDeconv(w []float32, cin, group, outPerGroup int, a []float64) {
	spatial := len(w) / (cin * outPerGroup)
	inPerGroup := cin / group
	for i := 0; i < cin; i++ {
		g := i / inPerGroup
		for j := 0; j < outPerGroup; j++ {
			f := a[g*outPerGroup+j]
			blk := w[(i*outPerGroup+j)*spatial : (i*outPerGroup+j+1)*spatial]
			for k := range blk {
				blk[k] = float32(f * float64(blk[k]))
			}
		}
	}
}

// sharedParamNames maps each non-empty param name to the layers using it.
func sharedParamNames(g *graph.Graph) map[string][]string {
	m := map[string][]string{}
	for _, n := range g.Nodes {
		seen := map[string]bool{}
		for _, s := range n.ParamSpecs {
			if s.Name != "" && !seen[s.Name] {
				seen[s.Name] = true
				m[s.Name] = append(m[s.Name], n.Name)
			}
		}
	}
	return m
}

// sharedParam returns the first of n's param names that another layer also
// uses, or "".
func sharedParam(n *graph.Node, shared map[string][]string) string {
	for _, s := range n.ParamSpecs {
		if s.Name != "" && len(shared[s.Name]) > 1 {
			return s.Name
		}
	}
	return ""
}

func others(layers []string, self string) string {
	var o []string
	for _, l := range layers {
		if l != self {
			o = append(o, l)
		}
	}
	if len(o) == 0 {
		return "another layer of the same name"
	}
	return strings.Join(o, ", ")
}

func opType(n *graph.Node) string {
	if n.Op != nil {
		return n.Op.Type()
	}
	return n.Type
}
