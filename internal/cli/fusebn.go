package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/graph/passes"
)

type fuseOpts struct {
	net      netFlags
	diff     diffFlags
	prototxt string
	weights  string
	out      string
	keep     []string
	noVerify bool
	force    bool
}

func newFuseBNCmd(e *env) *cobra.Command {
	o := &fuseOpts{}
	cmd := &cobra.Command{
		Use:   "fuse-bn in.prototxt in.caffemodel -o out",
		Short: "Fold BatchNorm and Scale into the preceding Convolution/Deconvolution/InnerProduct, then verify",
		Long: `fuse-bn folds BatchNorm, BatchNorm→Scale and lone Scale layers into the
Convolution, Deconvolution or InnerProduct before them (see graph/passes
for the math and every reason a fold is refused), writes out.prototxt and
out.caffemodel atomically (standard Caffe fields only), prints what was
folded and refused, and then verifies: both nets run on the same inputs
(random, or --feed files) and every blob that survives in both is
compared. Exit code 3 when a blob exceeds the tolerance.`,
		Args: argsRange(2, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			o.prototxt, o.weights = args[0], args[1]
			if o.out == "" {
				return usagef("-o out is required (writes out.prototxt and out.caffemodel)")
			}
			return fuseRun(e, o)
		},
	}
	o.net.register(cmd.Flags())
	o.diff.register(cmd)
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "output path prefix: writes <out>.prototxt and <out>.caffemodel")
	cmd.Flags().StringArrayVar(&o.keep, "keep", nil, "blob (or blob#version) that must stay observable (repeatable)")
	cmd.Flags().BoolVar(&o.noVerify, "no-verify", false, "skip the numerical verification")
	cmd.Flags().BoolVar(&o.force, "force", false, "allow an output path to equal an input path")
	return cmd
}

func fuseRun(e *env, o *fuseOpts) error {
	base := strings.TrimSuffix(strings.TrimSuffix(o.out, ".prototxt"), ".caffemodel")
	outText, outModel := base+".prototxt", base+".caffemodel"
	for _, p := range []string{outText, outModel} {
		if err := refuseOverwrite(p, o.force, o.prototxt, o.weights); err != nil {
			return err
		}
	}
	net, err := o.net.load(e, o.prototxt, o.weights, false)
	if err != nil {
		return err
	}
	if net.Report != nil && len(net.Report.Missing) > 0 {
		return fmt.Errorf("%s: no weights for %s", o.weights, strings.Join(net.Report.Missing, ", "))
	}
	keep := map[string]bool{}
	for _, k := range o.keep {
		if net.Graph.Blob(strings.SplitN(k, "#", 2)[0]) == nil {
			return usagef("--keep %s: no such blob", k)
		}
		keep[k] = true
	}
	reports, err := passes.Run(net.Graph, keep, passes.FuseBatchNorm{}, passes.DeadCode{})
	if err != nil {
		return fmt.Errorf("%s: %w", o.prototxt, err)
	}
	for _, r := range reports {
		fmt.Fprint(e.out, r.String())
	}
	text, model, err := net.Export(net.Graph)
	if err != nil {
		return err
	}
	// Write the weights first: a reader that sees the new prototxt finds
	// its caffemodel complete.
	if err := caffe.WriteFileAtomic(outModel, model, 0o644); err != nil {
		return err
	}
	if err := caffe.WriteFileAtomic(outText, text, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "wrote %s and %s\n", outText, outModel)
	left := 0
	for _, n := range net.Graph.Nodes {
		switch n.Op.(type) {
		case *graph.BatchNorm, *graph.Scale:
			left++
		}
	}
	fmt.Fprintf(e.out, "%d BatchNorm/Scale layer(s) folded, %d left\n", countFolded(reports), left)
	if o.noVerify {
		return nil
	}
	fmt.Fprintln(e.out, "verifying the written files against the original:")
	c := &compareOpts{net: o.net, diff: o.diff, a: [2]string{o.prototxt, o.weights}, b: [2]string{outText, outModel}}
	return compareRun(e, c)
}

func countFolded(reports []passes.Report) int {
	n := 0
	for _, r := range reports {
		for _, en := range r.Entries {
			if en.Action == passes.Folded {
				n += len(en.Chain)
			}
		}
	}
	return n
}
