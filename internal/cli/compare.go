package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

// diffFlags are the options shared by compare, verify and fuse-bn.
type diffFlags struct {
	atol, rtol float64
	seed       uint64
	inputs     []string
	json       bool
}

func (f *diffFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.Float64Var(&f.atol, "atol", 1e-4, "absolute tolerance: a blob passes when max|a−b| ≤ atol + rtol·max|b|")
	fs.Float64Var(&f.rtol, "rtol", 1e-4, "relative tolerance, scaled by the reference blob's largest magnitude")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the random U(−1,1) inputs")
	fs.StringArrayVar(&f.inputs, "feed", nil, "input data instead of random: blob=file.npy, file.npy or an image (repeatable)")
	fs.BoolVar(&f.json, "json", false, "print the comparison as JSON")
}

func (f *diffFlags) tol() tolerance { return tolerance{f.atol, f.rtol} }

// feeds builds the inputs for x: random, or from --feed files.
func (f *diffFlags) feeds(x *exec.Net) (map[string]*graph.Tensor, error) {
	if len(f.inputs) == 0 {
		return randomInputs(x, f.seed), nil
	}
	items, named, err := collectInputs(f.inputs)
	if err != nil {
		return nil, err
	}
	in := map[string]*graph.Tensor{}
	for blob, path := range named {
		t, err := readNpy(path)
		if err != nil {
			return nil, err
		}
		in[blob] = t
	}
	if len(items) > 0 {
		target := x.Inputs()[0]
		o := &runOpts{preset: "caffe"}
		pre, err := o.preprocessOptions(target.Shape)
		if err != nil {
			return nil, err
		}
		t, err := loadBatch(items, target, pre, o)
		if err != nil {
			return nil, err
		}
		in[target.Blob] = t
	}
	return in, nil
}

type compareOpts struct {
	net  netFlags
	diff diffFlags
	a, b [2]string
}

func newCompareCmd(e *env) *cobra.Command {
	o := &compareOpts{}
	cmd := &cobra.Command{
		Use:   "compare a.prototxt a.caffemodel b.prototxt b.caffemodel",
		Short: "Run two nets on the same inputs and find the first blob where they differ",
		Long: `compare forwards the same inputs (random U(−1,1) from --seed, or --feed
files) through two nets and prints, in execution order, max |diff|, mean
|diff| and the relative error of every blob both nets hold: final values
matched by blob name, earlier in-place versions by name and version when
both nets have the same chain. Exit code 3 when a blob exceeds the
tolerance; the first such blob is named.`,
		Args: argsRange(4, 4),
		RunE: func(_ *cobra.Command, args []string) error {
			o.a = [2]string{args[0], args[1]}
			o.b = [2]string{args[2], args[3]}
			return compareRun(e, o)
		},
	}
	o.net.register(cmd.Flags())
	o.diff.register(cmd)
	return cmd
}

// forwardAll loads, compiles and runs a net, returning it and a snapshot
// of every value.
func (f *netFlags) forwardAll(e *env, prototxt, weights string, feed func(*exec.Net) (map[string]*graph.Tensor, error)) (*caffe.Net, *exec.Net, map[*graph.Value]*graph.Tensor, error) {
	net, err := f.load(e, prototxt, weights, false)
	if err != nil {
		return nil, nil, nil, err
	}
	x, err := compile(net, prototxt, exec.Options{KeepAll: true})
	if err != nil {
		return nil, nil, nil, err
	}
	in, err := feed(x)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := reshapeFor(x, in); err != nil {
		return nil, nil, nil, err
	}
	if err := x.Forward(in); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", prototxt, err)
	}
	return net, x, snapshot(x), nil
}

func compareRun(e *env, o *compareOpts) error {
	var feed map[string]*graph.Tensor
	_, xa, va, err := o.net.forwardAll(e, o.a[0], o.a[1], func(x *exec.Net) (map[string]*graph.Tensor, error) {
		var err error
		feed, err = o.diff.feeds(x)
		return feed, err
	})
	if err != nil {
		return err
	}
	_, xb, vb, err := o.net.forwardAll(e, o.b[0], o.b[1], func(*exec.Net) (map[string]*graph.Tensor, error) { return feed, nil })
	if err != nil {
		return err
	}
	rows := diffValues(xa.Graph(), xb.Graph(), va, vb, o.diff.tol())
	return reportDiffs(e, rows, o.diff)
}

// diffValues compares b against a (a is the reference) value by value.
func diffValues(ga, gb *graph.Graph, va, vb map[*graph.Value]*graph.Tensor, tol tolerance) []blobDiff {
	var rows []blobDiff
	for _, p := range pairValues(ga, gb) {
		ta, tb := va[p[0]], vb[p[1]]
		if ta == nil || tb == nil {
			continue
		}
		name := p[0].Name()
		if p[0].Name() != p[1].Name() {
			name += " ~ " + p[1].Name()
		}
		rows = append(rows, diffTensors(name, tb, ta, tol))
	}
	return rows
}

func reportDiffs(e *env, rows []blobDiff, f diffFlags) error {
	var first *blobDiff
	if f.json {
		for i := range rows {
			if !rows[i].OK {
				first = &rows[i]
				break
			}
		}
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		out := struct {
			Blobs []blobDiff `json:"blobs"`
			First string     `json:"first_divergence,omitempty"`
		}{Blobs: rows}
		if first != nil {
			out.First = first.Name
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		first = writeDiffs(e.out, rows, f.tol())
	}
	if len(rows) == 0 {
		return fmt.Errorf("no blob is common to both nets; nothing was compared")
	}
	if first != nil {
		return &MismatchError{Msg: fmt.Sprintf("blob %s differs beyond tolerance (max |diff| %.3g, atol %g, rtol %g)", first.Name, first.MaxAbs, f.atol, f.rtol)}
	}
	return nil
}
