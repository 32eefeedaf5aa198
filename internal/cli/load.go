package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/graph"
)

// netFlags are the loading options shared by every command that reads a net.
type netFlags struct {
	phase  string
	level  int
	stages []string
	inputs []string // name=N,C,H,W
	strict bool
}

func (f *netFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.phase, "phase", "TEST", "net state phase used to filter layers: TEST or TRAIN")
	fs.IntVar(&f.level, "level", 0, "net state level used to filter layers")
	fs.StringSliceVar(&f.stages, "stage", nil, "net state stage (repeatable)")
	fs.StringArrayVar(&f.inputs, "input", nil, "override an input blob's shape: name=N,C,H,W (repeatable)")
	fs.BoolVar(&f.strict, "strict", false, "treat unknown (fork) fields as errors instead of warnings")
}

func (f *netFlags) state() (caffe.State, error) {
	p := strings.ToUpper(f.phase)
	if p != "TEST" && p != "TRAIN" {
		return caffe.State{}, usagef("--phase must be TEST or TRAIN, not %q", f.phase)
	}
	return caffe.State{Phase: p, Level: f.level, Stages: f.stages}, nil
}

// overrides parses --input flags.
func (f *netFlags) overrides() (map[string]graph.Shape, error) {
	return parseShapeFlags(f.inputs)
}

func parseShapeFlags(flags []string) (map[string]graph.Shape, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	m := map[string]graph.Shape{}
	for _, s := range flags {
		name, dims, ok := strings.Cut(s, "=")
		if !ok || name == "" || dims == "" {
			return nil, usagef("--input %q: want name=N,C,H,W", s)
		}
		var shape graph.Shape
		for _, d := range strings.FieldsFunc(dims, func(r rune) bool { return r == ',' || r == 'x' }) {
			n, err := strconv.Atoi(strings.TrimSpace(d))
			if err != nil || n <= 0 {
				return nil, usagef("--input %q: dimension %q is not a positive integer", s, d)
			}
			shape = append(shape, n)
		}
		m[name] = shape
	}
	return m, nil
}

// load reads a net (and optional weights), reports warnings on stderr and
// infers shapes. With partial (inspection), shape errors become warnings
// and the shapes that depend on them stay unknown.
func (f *netFlags) load(e *env, prototxt, weights string, partial bool) (*caffe.Net, error) {
	st, err := f.state()
	if err != nil {
		return nil, err
	}
	ov, err := f.overrides()
	if err != nil {
		return nil, err
	}
	net, err := caffe.Load(prototxt, weights, caffe.LoadOptions{State: st, Strict: f.strict, Inputs: ov})
	if err != nil {
		return nil, err
	}
	for _, w := range net.Warnings {
		fmt.Fprintln(e.err, "warning: "+w)
	}
	if partial {
		if err := checkOverrides(net.Graph, ov); err != nil {
			return nil, err
		}
		for _, err := range net.Graph.InferShapesPartial(ov) {
			w := fmt.Sprintf("%s: %v (shapes that depend on it are unknown)", prototxt, err)
			net.Warnings = append(net.Warnings, w)
			fmt.Fprintln(e.err, "warning: "+w)
		}
		return net, nil
	}
	if err := net.Graph.InferShapes(ov); err != nil {
		return net, fmt.Errorf("%s: %w", prototxt, err)
	}
	return net, nil
}

// checkOverrides rejects --input names that no input or data layer
// produces (InferShapes does this itself; the partial walk does not).
func checkOverrides(g *graph.Graph, ov map[string]graph.Shape) error {
	for name := range ov {
		v := g.Blob(name)
		if v == nil || v.Producer == nil || !isSourceOp(v.Producer.Op) {
			return usagef("--input %s: no Input or data layer produces blob %q", name, name)
		}
	}
	return nil
}

func isSourceOp(op graph.Op) bool {
	switch op.(type) {
	case *graph.Input, *graph.DataSource:
		return true
	}
	return false
}
