package exec

import (
	"fmt"

	"github.com/caffetool/caffetool/graph"
)

// MaxBytes bounds the memory a compiled Net allocates for activations
// (its planned buffers plus the layers' shared scratch buffer, see
// MemoryStats), and separately the parameters InitParams creates. A net
// over it is refused with a *BudgetError before anything is allocated, so
// that a hostile or mistyped file (a Tile or Reshape chain, a huge
// --input) cannot exhaust memory; each single blob is also bounded by
// graph.MaxElements. The caffetool command sets it from --max-memory.
// Loaded parameters are not counted: they already exist.
var MaxBytes int64 = DefaultMaxBytes

// DefaultMaxBytes is MaxBytes' initial value, 4 GiB.
const DefaultMaxBytes int64 = 4 << 30

// BudgetError reports a net whose buffers would exceed MaxBytes.
type BudgetError struct {
	What    string // "activations" or "parameters"
	Need    int64  // bytes required (saturated at MaxInt64)
	Limit   int64
	Largest string // the biggest single contributor, for the message
}

func (e *BudgetError) Error() string {
	need, limit := formatBytes(e.Need), formatBytes(e.Limit)
	if need == limit { // rounded alike: show the exact counts
		need, limit = fmt.Sprintf("%d B", e.Need), fmt.Sprintf("%d B", e.Limit)
	}
	return fmt.Sprintf("the %s need %s, more than the %s limit (largest: %s); raise exec.MaxBytes (caffetool --max-memory) if this is intended",
		e.What, need, limit, e.Largest)
}

// checkBudget refuses a net whose planned activation buffers (bytes,
// after buffer reuse) plus the shared scratch buffer exceed MaxBytes,
// naming g's largest blob. build calls it before allocating either.
func checkBudget(g *graph.Graph, planned, scratch int64) error {
	total := satAdd(planned, scratch)
	if total <= MaxBytes {
		return nil
	}
	var largest int64
	name := ""
	for _, v := range g.Values {
		if n, ok := v.Shape.Count64(); ok && satMul(n, 4) > largest {
			largest = satMul(n, 4)
			name = fmt.Sprintf("blob %q %v, %s", v.Name(), v.Shape, formatBytes(largest))
		}
	}
	if scratch > largest {
		name = fmt.Sprintf("the convolution column buffer, %s", formatBytes(scratch))
	}
	return &BudgetError{What: "activations", Need: total, Limit: MaxBytes, Largest: name}
}

// checkParamBudget bounds the parameter blobs InitParams would create.
func checkParamBudget(g *graph.Graph, onlyMissing bool) error {
	var total, largest int64
	largestName := ""
	for _, n := range g.Nodes {
		if _, ok := n.Op.(graph.Parametric); !ok {
			continue
		}
		shapes, err := graph.ParamShapesOf(n)
		if err != nil {
			continue // InitParams reports it
		}
		for i, s := range shapes {
			if onlyMissing && i < len(n.Params) && n.Params[i] != nil {
				continue
			}
			c, ok := s.Count64()
			if !ok {
				continue
			}
			b := satMul(c, 4)
			total = satAdd(total, b)
			if b > largest {
				largest, largestName = b, fmt.Sprintf("layer %q param[%d] %v, %s", n.Name, i, s, formatBytes(b))
			}
		}
	}
	if total > MaxBytes {
		return &BudgetError{What: "parameters", Need: total, Limit: MaxBytes, Largest: largestName}
	}
	return nil
}

const maxInt64 = 1<<63 - 1

func satMul(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > maxInt64/b {
		return maxInt64
	}
	return a * b
}

func satAdd(a, b int64) int64 {
	if a > maxInt64-b {
		return maxInt64
	}
	return a + b
}

// formatBytes prints a byte count in binary units ("4 GiB", "1.5 MiB").
func formatBytes(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	v := float64(b) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + string("KMGTPE"[exp]) + "iB"
}
