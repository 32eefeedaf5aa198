package cli

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

type initOpts struct {
	net      netFlags
	prototxt string
	out      string
	seed     uint64
	partial  string
	force    bool
	bnStats  bool
	randomW  bool
}

func newInitCmd(e *env) *cobra.Command {
	o := &initOpts{}
	cmd := &cobra.Command{
		Use:   "init net.prototxt -o weights.caffemodel",
		Short: "Write a caffemodel with parameters made by the net's fillers",
		Long: `init fills every parameter blob with the layer's filler (constant, uniform,
gaussian incl. sparse, positive_unitball, xavier, msra, bilinear) exactly as
Caffe defines them, from a seeded generator, and writes a caffemodel that
Caffe and OpenCV load. BatchNorm statistics are zero, as in Caffe. With
--weights, parameters found in that caffemodel are kept and only the
missing ones are filled.`,
		Args: argsRange(1, 1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.prototxt = args[0]
			if o.out == "" {
				return usagef("-o weights.caffemodel is required")
			}
			return initRun(e, o)
		},
	}
	o.net.register(cmd.Flags())
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "caffemodel to write")
	cmd.Flags().Uint64Var(&o.seed, "seed", 1, "random seed")
	cmd.Flags().StringVar(&o.partial, "weights", "", "existing caffemodel whose parameters are kept")
	cmd.Flags().BoolVar(&o.force, "force", false, "allow the output path to equal an input path")
	cmd.Flags().BoolVar(&o.randomW, "random-weights", false, "weights whose filler is Caffe's default (constant 0) get xavier instead, so deploy prototxts without fillers get usable weights")
	cmd.Flags().BoolVar(&o.bnStats, "random-bn-stats", false, "give BatchNorm non-trivial statistics (mean U(−0.5,0.5), variance U(0.5,1.5), stored ×0.8 with scale factor 0.8) instead of Caffe's zeros, for testing rewrites")
	return cmd
}

func initRun(e *env, o *initOpts) error {
	if err := refuseOverwrite(o.out, o.force, o.prototxt, o.partial); err != nil {
		return err
	}
	net, err := o.net.load(e, o.prototxt, o.partial, false)
	if err != nil {
		return err
	}
	if o.randomW {
		defaultToXavier(net.Graph)
	}
	filled, err := exec.InitParams(net.Graph, o.seed, o.partial != "")
	if err != nil {
		return fmt.Errorf("%s: %w", o.prototxt, err)
	}
	if o.bnStats {
		randomBNStats(net.Graph, o.seed, filled)
	}
	model, err := net.ExportWeights(net.Graph)
	if err != nil {
		return err
	}
	if err := caffe.WriteFileAtomic(o.out, model, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "wrote %s: filled %d parameter blob(s) with seed %d\n", o.out, len(filled), o.seed)
	return nil
}

// randomBNStats overwrites the statistics of the BatchNorm layers that
// init filled with plausible trained values. Caffe stores mean·s, var·s
// and s, where s is the moving-average normaliser.
func randomBNStats(g *graph.Graph, seed uint64, filled []string) {
	isFilled := map[string]bool{}
	for _, f := range filled {
		isFilled[strings.SplitN(f, "[", 2)[0]] = true
	}
	rng := rand.New(rand.NewPCG(seed, 0xb47c4))
	const s = 0.8
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*graph.BatchNorm); !ok || len(n.Params) != 3 || !isFilled[n.Name] {
			continue
		}
		mean, vr, sf := n.Params[0], n.Params[1], n.Params[2]
		for i := range mean.Data {
			mean.Data[i] = float32((rng.Float64() - 0.5) * s)
		}
		for i := range vr.Data {
			vr.Data[i] = float32((0.5 + rng.Float64()) * s)
		}
		for i := range sf.Data {
			sf.Data[i] = s
		}
	}
}

// defaultToXavier gives the weights of layers left with Caffe's default
// filler (constant 0) a xavier filler; biases and explicit fillers stay.
func defaultToXavier(g *graph.Graph) {
	isDefault := func(f graph.Filler) bool { return f.Type == "constant" && f.Value == 0 }
	xavier := graph.DefaultFiller()
	xavier.Type = "xavier"
	for _, n := range g.Nodes {
		switch op := n.Op.(type) {
		case *graph.Conv:
			if isDefault(op.WeightFiller) {
				op.WeightFiller = xavier
			}
		case *graph.InnerProduct:
			if isDefault(op.WeightFiller) {
				op.WeightFiller = xavier
			}
		case *graph.Embed:
			if isDefault(op.WeightFiller) {
				op.WeightFiller = xavier
			}
		}
	}
}
