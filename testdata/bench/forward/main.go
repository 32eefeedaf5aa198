//go:build linux

// Command forward times forward passes of a Caffe net in one process, so
// that loading, compiling and the first pass (which touches every buffer)
// are measured apart from the steady-state forward time. It is run by
// ../baseline.py until caffetool has a bench command.
//
//	go build -o forward ./testdata/bench/forward
//	forward -net deploy.prototxt -weights w.caffemodel -input data=1,3,224,224 \
//	        -in x.npy -n 10 -save prob=prob.npy -save fc=fc.npy
//
// It prints one JSON object: load_ms, compile_ms, first_ms, the n timed
// forwards (times_ms, median_ms) and the process's peak RSS (maxrss_kb).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

type report struct {
	LoadMs    float64   `json:"load_ms"`
	CompileMs float64   `json:"compile_ms"`
	FirstMs   float64   `json:"first_ms"`
	TimesMs   []float64 `json:"times_ms"`
	MedianMs  float64   `json:"median_ms"`
	// CPUMs is the process's user+system CPU time per timed forward,
	// all threads together; on a busy machine it moves less than the
	// wall time.
	CPUMs    float64 `json:"cpu_ms"`
	MaxRSSKB int64   `json:"maxrss_kb"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "forward:", err)
		os.Exit(1)
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func run() error {
	prototxt := flag.String("net", "", "deploy prototxt")
	weights := flag.String("weights", "", "caffemodel")
	input := flag.String("input", "", "input blob shape, name=N,C,H,W")
	in := flag.String("in", "", ".npy fed to the input blob")
	n := flag.Int("n", 10, "timed forward passes")
	var saves list
	flag.Var(&saves, "save", "blob=file.npy to write after the last pass (repeatable)")
	flag.Parse()

	name, dims, ok := strings.Cut(*input, "=")
	if !ok {
		return fmt.Errorf("-input %q: want name=N,C,H,W", *input)
	}
	var shape graph.Shape
	for _, d := range strings.Split(dims, ",") {
		v, err := strconv.Atoi(d)
		if err != nil {
			return fmt.Errorf("-input %q: %v", *input, err)
		}
		shape = append(shape, v)
	}
	x, err := npy.Read(*in)
	if err != nil {
		return err
	}

	var rep report
	t0 := time.Now()
	net, err := caffe.Load(*prototxt, *weights, caffe.LoadOptions{Inputs: map[string]graph.Shape{name: shape}})
	if err != nil {
		return err
	}
	if err := net.Graph.InferShapes(map[string]graph.Shape{name: shape}); err != nil {
		return err
	}
	rep.LoadMs = ms(time.Since(t0))
	t0 = time.Now()
	// The saved blobs must stay readable; every other buffer is shared as
	// in any run.
	var keep []string
	for _, s := range saves {
		blob, _, _ := strings.Cut(s, "=")
		keep = append(keep, blob)
	}
	fwd, err := exec.Compile(net.Graph, exec.Options{Keep: keep})
	if err != nil {
		return err
	}
	rep.CompileMs = ms(time.Since(t0))
	feed := map[string]*graph.Tensor{name: x}
	t0 = time.Now()
	if err := fwd.Forward(feed); err != nil {
		return err
	}
	rep.FirstMs = ms(time.Since(t0))
	cpu0 := cpuTime()
	for i := 0; i < *n; i++ {
		t0 = time.Now()
		if err := fwd.Forward(feed); err != nil {
			return err
		}
		rep.TimesMs = append(rep.TimesMs, ms(time.Since(t0)))
	}
	if *n > 0 {
		rep.CPUMs = ms(cpuTime()-cpu0) / float64(*n)
	}
	sorted := append([]float64(nil), rep.TimesMs...)
	sort.Float64s(sorted)
	if len(sorted) > 0 {
		rep.MedianMs = sorted[len(sorted)/2]
		if len(sorted)%2 == 0 {
			rep.MedianMs = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
		}
	}
	for _, s := range saves {
		blob, path, ok := strings.Cut(s, "=")
		t := fwd.Blob(blob)
		if !ok || t == nil {
			return fmt.Errorf("-save %q: no such blob", s)
		}
		if err := npy.Write(path, t); err != nil {
			return err
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		rep.MaxRSSKB = int64(ru.Maxrss) // kilobytes on Linux
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}
