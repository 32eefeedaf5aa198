package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

type benchOpts struct {
	net        netFlags
	prototxt   string
	weights    string
	iterations int
	warmup     int
	threads    int
	batch      int
	seed       uint64
	json       bool
}

func newBenchCmd(e *env) *cobra.Command {
	o := &benchOpts{}
	cmd := &cobra.Command{
		Use:   "bench net.prototxt [weights.caffemodel]",
		Short: "Time forward passes, per layer and in total (like caffe time)",
		Long: `bench runs forward passes on random U(−1,1) inputs and prints each layer's
mean time, its share of the forward pass and its arithmetic rate, then the
median, mean and minimum time of a whole forward pass. Without weights the
parameters come from the layers' fillers (init with a fixed seed), which
does not change the timing. Layers the runtime folds into another (a ReLU
applied inside its convolution's output pass, a Reshape that shares its
bottom's buffer) show as fused or view with no time of their own.`,
		Args: argsRange(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			o.prototxt = args[0]
			if len(args) > 1 {
				o.weights = args[1]
			}
			if o.iterations < 1 {
				return usagef("--iterations must be at least 1")
			}
			if o.warmup < 0 || o.threads < 0 || o.batch < 0 {
				return usagef("--warmup, --threads and --batch must not be negative")
			}
			return benchRun(e, o)
		},
	}
	o.net.register(cmd.Flags())
	f := cmd.Flags()
	f.IntVar(&o.iterations, "iterations", 10, "timed forward passes")
	f.IntVar(&o.warmup, "warmup", 1, "untimed forward passes first")
	f.IntVar(&o.threads, "threads", 0, "goroutines per layer (default: GOMAXPROCS)")
	f.IntVar(&o.batch, "batch", 0, "batch size of every input blob (default: as declared)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the init weights and the random inputs")
	f.BoolVar(&o.json, "json", false, "print the timings as JSON")
	return cmd
}

// benchLayer is one row of the report.
type benchLayer struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Role     string  `json:"role,omitempty"` // "fused into X", "view": not run on its own
	MeanMs   float64 `json:"mean_ms"`
	MedianMs float64 `json:"median_ms"`
	Percent  float64 `json:"percent"`
	GFLOPs   float64 `json:"gflop_per_s,omitempty"`
}

type benchReport struct {
	Net            string           `json:"net"`
	Weights        string           `json:"weights,omitempty"`
	Threads        int              `json:"threads"`
	Batch          int              `json:"batch"`
	Inputs         map[string][]int `json:"inputs"`
	Iterations     int              `json:"iterations"`
	MedianMs       float64          `json:"median_ms"`
	MeanMs         float64          `json:"mean_ms"`
	MinMs          float64          `json:"min_ms"`
	MaxMs          float64          `json:"max_ms"`
	LoadMs         float64          `json:"load_ms"`
	CompileMs      float64          `json:"compile_ms"`
	GMACs          float64          `json:"gmacs"`
	ActivationMiB  float64          `json:"activation_mib"`
	UnplannedMiB   float64          `json:"unplanned_activation_mib"`
	ActivationBufs int              `json:"activation_buffers"`
	ScratchMiB     float64          `json:"scratch_mib"`
	Layers         []benchLayer     `json:"layers"`
}

func benchRun(e *env, o *benchOpts) error {
	t0 := time.Now()
	net, err := o.net.load(e, o.prototxt, o.weights, false)
	if err != nil {
		return err
	}
	loadTime := time.Since(t0)
	g := net.Graph
	if o.batch > 0 {
		if err := rebatch(g, o.batch); err != nil {
			return fmt.Errorf("%s: --batch %d: %w", o.prototxt, o.batch, err)
		}
	}
	if o.weights == "" {
		if _, err := exec.InitParams(g, o.seed, false); err != nil {
			return fmt.Errorf("%s: %w", o.prototxt, err)
		}
	} else if net.Report != nil && len(net.Report.Missing) > 0 {
		fmt.Fprintf(e.err, "warning: %s: no weights for %s; filling them from the fillers\n", o.weights, strings.Join(net.Report.Missing, ", "))
		if _, err := exec.InitParams(g, o.seed, true); err != nil {
			return fmt.Errorf("%s: %w", o.prototxt, err)
		}
	}
	threads := o.threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	t1 := time.Now()
	x, err := compile(net, o.prototxt, exec.Options{Threads: threads})
	if err != nil {
		return err
	}
	compileTime := time.Since(t1)
	feed := randomInputs(x, o.seed)
	for i := 0; i < o.warmup; i++ {
		if err := x.Forward(feed); err != nil {
			return fmt.Errorf("%s: %w", o.prototxt, err)
		}
	}
	nodes := g.Nodes
	per := make([][]time.Duration, len(nodes)) // per node, one entry per iteration
	times := make([]time.Duration, len(nodes))
	totals := make([]time.Duration, o.iterations)
	for it := 0; it < o.iterations; it++ {
		start := time.Now()
		if err := x.ForwardTimed(feed, times); err != nil {
			return fmt.Errorf("%s: %w", o.prototxt, err)
		}
		totals[it] = time.Since(start)
		for i, d := range times {
			per[i] = append(per[i], d)
		}
	}
	rep := &benchReport{Net: o.prototxt, Weights: o.weights, Threads: threads, Iterations: o.iterations,
		LoadMs: ms(loadTime), CompileMs: ms(compileTime)}
	rep.Inputs = map[string][]int{}
	for i, v := range x.Inputs() {
		rep.Inputs[v.Blob] = v.Shape.Clone()
		if i == 0 && len(v.Shape) > 0 {
			rep.Batch = v.Shape[0]
		}
	}
	rep.MedianMs, rep.MeanMs = ms(median(totals)), ms(mean(totals))
	rep.MinMs, rep.MaxMs = ms(slices.Min(totals)), ms(slices.Max(totals))
	mem := x.Memory()
	rep.ActivationMiB = float64(mem.Bytes) / (1 << 20)
	rep.UnplannedMiB = float64(mem.Unplanned) / (1 << 20)
	rep.ActivationBufs = mem.Buffers
	rep.ScratchMiB = float64(mem.Scratch) / (1 << 20)
	var sumMean float64
	for i := range nodes {
		sumMean += ms(mean(per[i]))
	}
	var macs int64
	for i, n := range nodes {
		row := benchLayer{Name: n.Name, Type: n.Type, Role: x.Role(n), MeanMs: ms(mean(per[i])), MedianMs: ms(median(per[i]))}
		if sumMean > 0 {
			row.Percent = 100 * row.MeanMs / sumMean
		}
		if c, err := graph.NodeCost(n); err == nil && c.MACs > 0 {
			macs += c.MACs
			if row.MeanMs > 0 && row.Role == "" {
				row.GFLOPs = 2 * float64(c.MACs) / (row.MeanMs * 1e6)
			}
		}
		rep.Layers = append(rep.Layers, row)
	}
	rep.GMACs = float64(macs) / 1e9
	if o.json {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printBench(e.out, rep)
	return nil
}

// rebatch re-infers the shapes with the first axis of every input blob
// set to n.
func rebatch(g *graph.Graph, n int) error {
	shapes := map[string]graph.Shape{}
	for _, node := range g.Nodes {
		if !isSourceOp(node.Op) {
			continue
		}
		for _, t := range node.Tops {
			if len(t.Shape) == 0 {
				return fmt.Errorf("input blob %s is a scalar and has no batch axis", t.Blob)
			}
			s := t.Shape.Clone()
			s[0] = n
			shapes[t.Blob] = s
		}
	}
	return g.InferShapes(shapes)
}

func printBench(w io.Writer, r *benchReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\ttype\tmean ms\tmedian ms\t%\tGFLOP/s\t")
	for _, l := range r.Layers {
		gf := ""
		if l.GFLOPs > 0 {
			gf = fmt.Sprintf("%.1f", l.GFLOPs)
		}
		if l.Role != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t\t\n", l.Name, l.Type, l.Role)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.1f\t%s\t\n", l.Name, l.Type, l.MeanMs, l.MedianMs, l.Percent, gf)
	}
	tw.Flush()
	fmt.Fprintf(w, "forward (batch %d, %d threads, %d iterations): median %.2f ms, mean %.2f ms, min %.2f ms, max %.2f ms; %.2f GMAC\n",
		r.Batch, r.Threads, r.Iterations, r.MedianMs, r.MeanMs, r.MinMs, r.MaxMs, r.GMACs)
	fmt.Fprintf(w, "activations: %.1f MiB in %d buffers (one per blob version: %.1f MiB), scratch %.1f MiB; load %.1f ms, compile %.1f ms\n",
		r.ActivationMiB, r.ActivationBufs, r.UnplannedMiB, r.ScratchMiB, r.LoadMs, r.CompileMs)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var s time.Duration
	for _, v := range d {
		s += v
	}
	return s / time.Duration(len(d))
}
