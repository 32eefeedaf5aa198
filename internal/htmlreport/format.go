package htmlreport

import (
	"fmt"
	"strconv"
	"strings"
)

// shapeText prints a shape as "1×64×56×56", "?" when unknown.
func shapeText(s []int) string {
	if s == nil {
		return "?"
	}
	if len(s) == 0 {
		return "scalar"
	}
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = strconv.Itoa(d)
	}
	return strings.Join(p, "×")
}

// channelsAndSize splits an N×C×… shape into its channel count and the
// rest (the spatial size), with sort keys (-1 when unknown).
func channelsAndSize(s []int) (ch string, chKey int64, size string, sizeKey int64) {
	switch {
	case s == nil:
		return "?", -1, "?", -1
	case len(s) == 0:
		return "–", -1, "scalar", 1
	case len(s) == 1:
		return "–", -1, strconv.Itoa(s[0]), int64(s[0])
	}
	sizeKey = 1
	var p []string
	for _, d := range s[2:] {
		p = append(p, strconv.Itoa(d))
		sizeKey *= int64(d)
	}
	size = strings.Join(p, "×")
	if size == "" {
		size = "–"
	}
	return strconv.Itoa(s[1]), int64(s[1]), size, sizeKey
}

// human prints a count with a K/M/G suffix.
func human(n int64) string {
	f := float64(n)
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fG", f/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", f/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.1fK", f/1e3)
	}
	return strconv.FormatInt(n, 10)
}

// humanBytes prints a byte count in binary units.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", f/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", f/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", f/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// grouped prints an integer with thousands separators.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// num prints a coordinate compactly (one decimal at most).
func num(f float64) string {
	return strconv.FormatFloat(float64(int64(f*10+0.5*sign(f)))/10, 'f', -1, 64)
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}
