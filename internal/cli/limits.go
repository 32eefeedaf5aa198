package cli

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/imageio"
)

// The library's limits as the program started, so that every Main call
// (tests run many in one process) starts from them.
var defaultMaxElements = graph.MaxElements

const bytesPerPixel = 16

// limits are the resource bounds that protect against hostile or mistyped
// files; every command accepts them.
type limits struct {
	maxElements int64
	maxMemory   string
}

// registerLimits adds --max-elements and --max-memory to every command and
// applies them before the command runs.
func registerLimits(root *cobra.Command) {
	l := &limits{}
	pf := root.PersistentFlags()
	pf.Int64Var(&l.maxElements, "max-elements", defaultMaxElements,
		"largest element count accepted for any one blob or parameter")
	pf.StringVar(&l.maxMemory, "max-memory", formatSize(exec.DefaultMaxBytes),
		"largest memory a forward pass may allocate for activations, init for parameters, or an image decode (16 bytes a pixel); e.g. 512MiB, 8GiB")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return l.apply() }
}

func (l *limits) apply() error {
	if l.maxElements < 1 {
		return usagef("--max-elements must be positive, not %d", l.maxElements)
	}
	mem, err := parseSize(l.maxMemory)
	if err != nil {
		return usagef("--max-memory %q: %v", l.maxMemory, err)
	}
	graph.MaxElements = l.maxElements
	exec.MaxBytes = mem
	// A decoded image costs up to 16 bytes a pixel (the decoder's RGBA64
	// buffer plus our 16-bit samples); the default gives imageio's own
	// default of 2^28 pixels.
	imageio.MaxPixels = int(max(mem/bytesPerPixel, 1))
	return nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1}, {"", 1},
}

// parseSize reads a byte count such as 4GiB, 512M or 1000000.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, u := range sizeUnits {
		num, ok := strings.CutSuffix(t, u.suffix)
		if !ok {
			continue
		}
		num = strings.TrimSpace(num)
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || num == "" {
			break
		}
		b := v * float64(u.mult)
		if !(b >= 1) || b > 1<<62 {
			return 0, errSize
		}
		return int64(b), nil
	}
	return 0, errSize
}

var errSize = usagef("want a positive size such as 4GiB, 512MiB or a byte count")

func formatSize(b int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b >= u.m && b%u.m == 0 {
			return strconv.FormatInt(b/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(b, 10)
}
