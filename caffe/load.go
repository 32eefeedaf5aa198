package caffe

import (
	"fmt"
	"os"
	"strings"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// LoadOptions controls Load.
type LoadOptions struct {
	// State selects layers by phase, level and stages (TEST by default).
	State State
	// Strict rejects what BVLC Caffe rejects while reading: fields and
	// enum values our schema does not know (fork extensions) are errors
	// instead of warnings.
	Strict bool
	// Inputs overrides the shapes of Input and data-layer tops (by blob
	// name) for the shape inference that checks weight shapes; needed when
	// a data layer's shape is only known from its database.
	Inputs map[string]graph.Shape
}

// Net is a loaded network.
type Net struct {
	Graph *graph.Graph
	// Warnings: skipped fork fields ("file:line:col: path: message"),
	// upgrade problems Caffe tolerates, unchecked weights.
	Warnings []string
	// Report is nil when no weights were loaded.
	Report *WeightReport
	// Param is the upgraded, filtered text net the graph was built from
	// (layer i is Graph.Nodes[i]), kept for rewriting and writing.
	Param *caffepb.NetParameter
	// Text is the parser's record of skipped fork fields of Param, for
	// WriteTextUnknown (nil when the net did not come from text).
	Text *TextResult
	// State is the effective NetState the layers were selected with.
	State *caffepb.NetState
	// Upgraded reports whether the text net was in a legacy format.
	Upgraded bool
}

// Load reads a .prototxt, upgrades it, keeps the layers State selects,
// decodes them into a graph and, when weightsPath is not empty, loads a
// .caffemodel into the nodes' Params (see loadWeights for Caffe's matching
// rules). Shape and count mismatches between net and weights are errors
// (*WeightsError, with the net still returned for inspection); parameters
// missing from the caffemodel are only reported.
func Load(prototxtPath, weightsPath string, opts LoadOptions) (*Net, error) {
	text, err := os.ReadFile(prototxtPath)
	if err != nil {
		return nil, err
	}
	if err := checkNotEmpty(prototxtPath, text); err != nil {
		return nil, err
	}
	var weights []byte
	if weightsPath != "" {
		if weights, err = os.ReadFile(weightsPath); err != nil {
			return nil, err
		}
	}
	return LoadBytes(prototxtPath, text, weightsPath, weights, opts)
}

// LoadBytes is Load for files already in memory; the names are used in
// messages only. Weights are loaded when weightsName or weights is set.
func LoadBytes(prototxtName string, prototxt []byte, weightsName string, weights []byte, opts LoadOptions) (*Net, error) {
	param := &caffepb.NetParameter{}
	res, err := ParseText(prototxtName, prototxt, param, TextOptions{Strict: opts.Strict})
	if err != nil {
		return nil, err
	}
	net := &Net{Text: res}
	for _, w := range res.Warnings {
		net.Warnings = append(net.Warnings, w.String())
	}
	var shapeless []string
	if len(param.InputShape) == 0 && len(param.InputDim) == 0 {
		shapeless = param.Input
	}
	changed, notes, err := upgradeNet(param, res)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prototxtName, err)
	}
	if len(shapeless) > 0 && !opts.Strict {
		net.Warnings = append(net.Warnings, prototxtName+": "+keepShapelessInputs(param, shapeless))
	}
	net.Upgraded = changed
	for _, n := range notes {
		net.Warnings = append(net.Warnings, fmt.Sprintf("%s: upgrade: %s", prototxtName, n))
	}
	if net.State, err = opts.State.NetState(param); err != nil {
		return nil, err
	}
	if net.Param, err = FilterNet(param, net.State); err != nil {
		return nil, fmt.Errorf("%s: %w", prototxtName, err)
	}
	if net.Graph, err = BuildGraph(net.Param, res, net.State.GetPhase()); err != nil {
		return nil, fmt.Errorf("%s: %w", prototxtName, err)
	}
	if weightsName == "" && weights == nil {
		return net, nil
	}
	if weightsName == "" {
		weightsName = "<weights>"
	}
	model, err := DecodeNet(weightsName, weights)
	if err != nil {
		return nil, err
	}
	return net, net.attachWeights(model, weightsName, opts.Inputs)
}

// LoadWeights loads a (not yet upgraded) caffemodel into an already built
// net, replacing any parameters loaded before.
func (net *Net) LoadWeights(weightsPath string, inputs map[string]graph.Shape) error {
	data, err := os.ReadFile(weightsPath)
	if err != nil {
		return err
	}
	model, err := DecodeNet(weightsPath, data)
	if err != nil {
		return err
	}
	return net.attachWeights(model, weightsPath, inputs)
}

func (net *Net) attachWeights(model *caffepb.NetParameter, file string, inputs map[string]graph.Shape) error {
	_, notes, err := UpgradeNet(model)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, n := range notes {
		net.Warnings = append(net.Warnings, fmt.Sprintf("%s: upgrade: %s", file, n))
	}
	// Parameter shapes follow from the blob shapes. Inference goes on past
	// a layer it cannot handle (typically a data layer whose shape is in its
	// database); the weights of the layers that depend on it are unchecked.
	if errs := net.Graph.InferShapesPartial(inputs); len(errs) > 0 {
		net.Warnings = append(net.Warnings, fmt.Sprintf("%s: shape inference failed (%v); the weights of layers that depend on it are not checked against the net", file, errs[0]))
	}
	rep, warnings, err := loadWeights(net.Graph, net.Param.GetLayer(), model, file)
	net.Warnings = append(net.Warnings, warnings...)
	net.Report = rep
	if err != nil {
		return err
	}
	return nil
}

// keepShapelessInputs handles a prototxt naming top-level inputs with
// neither input_shape nor input_dim. Caffe's upgrade drops such inputs (it
// is how legacy caffemodels record them), so Caffe then fails on the first
// layer that reads one. Here they become an Input layer without shapes, as
// the upgrade makes for shaped inputs, so that the net loads and the shapes
// can be supplied (LoadOptions.Inputs, the CLI's --input). It returns the
// warning to give.
func keepShapelessInputs(param *caffepb.NetParameter, names []string) string {
	l := &caffepb.LayerParameter{
		Name:       proto.String("input"),
		Type:       proto.String("Input"),
		Top:        names,
		InputParam: &caffepb.InputParameter{},
	}
	param.Layer = append([]*caffepb.LayerParameter{l}, param.Layer...)
	return fmt.Sprintf("top-level input %q has no input_shape or input_dim (Caffe drops such inputs); it is kept as an Input layer whose shape must be given",
		strings.Join(names, `", "`))
}

// BuildGraph decodes the layers of an upgraded, filtered net in file order
// and connects them. res (may be nil) is the text parser's record of
// skipped fields, which fork layers read their parameters from. phase is
// the net's phase (a layer's own `phase` field overrides it).
func BuildGraph(param *caffepb.NetParameter, res *TextResult, phase caffepb.Phase) (*graph.Graph, error) {
	if len(param.GetLayers()) > 0 || len(param.GetInput()) > 0 {
		return nil, fmt.Errorf("the net is in a legacy format; upgrade it first")
	}
	g := graph.New(param.GetName())
	for _, l := range param.GetLayer() {
		op, err := DecodeLayer(l, phase, res)
		if err != nil {
			return nil, err
		}
		n := &graph.Node{
			Name:        l.GetName(),
			Type:        LayerType(l, res),
			Op:          op,
			LossWeights: append([]float32(nil), l.GetLossWeight()...),
		}
		for _, ps := range l.GetParam() {
			n.ParamSpecs = append(n.ParamSpecs, graph.ParamSpec{
				Name:      ps.GetName(),
				LrMult:    ps.GetLrMult(),
				DecayMult: ps.GetDecayMult(),
			})
		}
		if err := g.Add(n, l.GetBottom(), l.GetTop()); err != nil {
			return nil, err
		}
	}
	return g, nil
}
