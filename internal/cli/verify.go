package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

type verifyOpts struct {
	net      netFlags
	diff     diffFlags
	prototxt string
	weights  string
	ref      string
}

func newVerifyCmd(e *env) *cobra.Command {
	o := &verifyOpts{}
	cmd := &cobra.Command{
		Use:   "verify net.prototxt net.caffemodel --ref DIR",
		Short: "Compare our blobs with reference .npy dumps from another framework",
		Long: `verify reads DIR/<blob>.npy files (a '/' in a blob name written as '__';
an earlier in-place version as <blob>@<k>.npy, as run --dump writes them).
Files named after the net's input blobs are fed as inputs; every other file
is compared with our value of that blob after one forward pass. Exit code 3
when a blob exceeds the tolerance.`,
		Args: argsRange(2, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			o.prototxt, o.weights = args[0], args[1]
			if o.ref == "" {
				return usagef("--ref DIR is required")
			}
			return verifyRun(e, o)
		},
	}
	o.net.register(cmd.Flags())
	o.diff.register(cmd)
	cmd.Flags().StringVar(&o.ref, "ref", "", "directory of reference .npy files")
	return cmd
}

// refFiles maps blob names (and name@version) to files in dir.
func refFiles(dir string) (map[string]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, d := range ents {
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".npy") {
			continue
		}
		name := strings.ReplaceAll(strings.TrimSuffix(d.Name(), ".npy"), "__", "/")
		m[name] = filepath.Join(dir, d.Name())
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: no .npy files", dir)
	}
	return m, nil
}

func verifyRun(e *env, o *verifyOpts) error {
	refs, err := refFiles(o.ref)
	if err != nil {
		return err
	}
	isInput := map[string]bool{}
	_, x, vals, err := o.net.forwardAll(e, o.prototxt, o.weights, func(x *exec.Net) (map[string]*graph.Tensor, error) {
		in := map[string]*graph.Tensor{}
		for _, v := range x.Inputs() {
			path, ok := refs[v.Blob]
			if !ok {
				return nil, fmt.Errorf("%s: no %s.npy for input blob %s", o.ref, strings.ReplaceAll(v.Blob, "/", "__"), v.Blob)
			}
			t, err := readNpy(path)
			if err != nil {
				return nil, err
			}
			in[v.Blob] = t
			isInput[v.Blob] = true
		}
		return in, nil
	})
	if err != nil {
		return err
	}
	g := x.Graph()
	var rows []blobDiff
	var unknown []string
	for _, v := range g.Values {
		if isInput[v.Blob] {
			continue
		}
		key := v.Blob
		if g.Blob(v.Blob) != v {
			key = v.Blob + "@" + strconv.Itoa(v.Version)
		}
		path, ok := refs[key]
		if !ok {
			continue
		}
		delete(refs, key)
		ref, err := readNpy(path)
		if err != nil {
			return err
		}
		rows = append(rows, diffTensors(key, vals[v], ref, o.diff.tol()))
	}
	for k := range refs {
		if !isInput[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		fmt.Fprintf(e.err, "warning: %s: no blob %q in the net; not compared\n", o.ref, k)
	}
	return reportDiffs(e, rows, o.diff)
}
