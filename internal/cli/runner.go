package cli

import (
	"fmt"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
)

// compile prepares a loaded net (shapes inferred) for forward passes.
func compile(net *caffe.Net, file string, opts exec.Options) (*exec.Net, error) {
	x, err := exec.Compile(net.Graph, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return x, nil
}
