package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/caffe"
)

type upgradeOpts struct {
	in, out string
	force   bool
}

func newUpgradeCmd(e *env) *cobra.Command {
	o := &upgradeOpts{}
	cmd := &cobra.Command{
		Use:   "upgrade in.prototxt|in.caffemodel out",
		Short: "Rewrite a legacy (V0/V1, input_dim) prototxt or caffemodel in the current format",
		Long: `upgrade applies Caffe's own upgrades (V0 -> V1 -> V2 layers, old data
transform fields, input/input_dim/input_shape -> Input layer, BatchNorm
params) and writes the result atomically. A .caffemodel (or .binaryproto)
input is written as a caffemodel; anything else as prototxt. Legacy blob
dims in caffemodels are kept, as Caffe's upgrade_net_proto_binary keeps them.`,
		Args: argsRange(2, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			o.in, o.out = args[0], args[1]
			return upgradeRun(e, o)
		},
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "allow the output path to equal the input path")
	return cmd
}

func isBinaryPath(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".caffemodel" || ext == ".binaryproto"
}

func upgradeRun(e *env, o *upgradeOpts) error {
	if err := refuseOverwrite(o.out, o.force, o.in); err != nil {
		return err
	}
	data, notes, warns, err := caffe.UpgradeFile(o.in, isBinaryPath(o.in), caffe.TextOptions{})
	for _, w := range warns {
		fmt.Fprintln(e.err, "warning: "+w.String())
	}
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(e.err, "upgrade: "+n)
	}
	if err := caffe.WriteFileAtomic(o.out, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "wrote %s\n", o.out)
	return nil
}

// refuseOverwrite stops a command from writing over one of its inputs.
func refuseOverwrite(out string, force bool, inputs ...string) error {
	if force {
		return nil
	}
	ao, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		ai, err := filepath.Abs(in)
		if err == nil && (ai == ao || sameFile(ai, ao)) {
			return usagef("output %s is the input file %s; choose another path or pass --force", out, in)
		}
	}
	return nil
}
