package cli

import (
	"os"
	"path/filepath"

	"github.com/caffetool/caffetool/exec"
)

// sameFile reports whether two existing paths name the same file (links included).
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(fa, fb)
}

// refuseDumpOverwrite stops `run --dump dir` from writing a blob's .npy
// over one of the command's input files (an input array named like a
// blob, in the dump folder).
func refuseDumpOverwrite(x *exec.Net, dir string, inputs []string) error {
	g := x.Graph()
	for _, v := range g.Values {
		p := filepath.Join(dir, dumpName(v, g.Blob(v.Blob) == v))
		for _, in := range inputs {
			if in != "" && refuseOverwrite(p, false, in) != nil {
				return usagef("--dump %s would write %s over the input file %s; choose another folder", dir, filepath.Base(p), in)
			}
		}
	}
	return nil
}

// inputFiles lists every file `run` reads.
func (o *runOpts) inputFiles(items []item, named map[string]string) []string {
	files := []string{o.prototxt, o.weights, o.meanFile, o.labels}
	for _, it := range items {
		files = append(files, it.path)
	}
	for _, p := range named {
		files = append(files, p)
	}
	return files
}
