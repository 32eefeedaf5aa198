package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
)

type initOpts struct {
	net      netFlags
	prototxt string
	out      string
	seed     uint64
	partial  string
	force    bool
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
	filled, err := exec.InitParams(net.Graph, o.seed, o.partial != "")
	if err != nil {
		return fmt.Errorf("%s: %w", o.prototxt, err)
	}
	model, err := net.ExportWeights(net.Graph)
	if err != nil {
		return err
	}
	if err := caffe.WriteFileAtomic(o.out, model, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "wrote %s: filled %d layer(s) with seed %d\n", o.out, len(filled), o.seed)
	return nil
}
