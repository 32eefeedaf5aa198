package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// env carries the streams every command writes to.
type env struct {
	in       io.Reader
	out, err io.Writer
}

// Main runs caffetool with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{in: stdin, out: stdout, err: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err != nil && isCobraUsage(err) {
		err = &usageError{err}
	}
	return exitCode(err, stderr)
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "caffetool",
		Short:         "Inspect, upgrade, run and rewrite Caffe models",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	registerLimits(root)
	root.AddCommand(
		newInspectCmd(e),
		newUpgradeCmd(e),
		newRunCmd(e),
		newInitCmd(e),
		newFuseBNCmd(e),
		newCompareCmd(e),
		newVerifyCmd(e),
		newBenchCmd(e),
	)
	return root
}

// isCobraUsage recognises cobra's own argument errors.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func argsRange(min, max int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			if min == max {
				return usagef("expected %d argument(s), got %d", min, len(args))
			}
			return usagef("expected %d to %d arguments, got %d", min, max, len(args))
		}
		return nil
	}
}
