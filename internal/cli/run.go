package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/imageio"
	"github.com/caffetool/caffetool/internal/npy"
)

type runOpts struct {
	net      netFlags
	prototxt string
	weights  string
	inputs   []string
	preset   string
	mean     string
	meanFile string
	scale    float32
	rawScale float32
	swapRB   bool
	resize   string
	crop     bool
	labels   string
	top      int
	json     bool
	dump     string
	outputs  []string
	batch    int
	blob     string
	noBar    bool
	threads  int
}

func newRunCmd(e *env) *cobra.Command {
	o := &runOpts{}
	cmd := &cobra.Command{
		Use:   "run net.prototxt weights.caffemodel INPUT...",
		Short: "Forward images or .npy arrays through a net",
		Long: `run forwards inputs through a net on the CPU and prints its outputs:
top-k labels for classifiers, class/score/box rows for SSD detectors, and
shape and statistics for any other blob.

An INPUT is an image (JPEG, PNG, GIF), a .npy array, a directory of those
(batched, with a progress bar on stderr), or blob=file.npy for a named
input blob. An array whose batch or spatial size differs from the declared
input reshapes the net, as pycaffe's reshape does.

Preprocessing of images: --preset caffe (default; pycaffe's Transformer:
resize, HWC->CHW, RGB->BGR, x raw_scale 255, - mean, x input scale) or
--preset opencv (cv2.dnn.blobFromImage: BGR 0..255, resize or --crop,
(x - mean) x scale, optional --swap-rb). Each step is also a flag.

--dump DIR writes every blob's final value as DIR/<blob>.npy (a '/' in a
blob name becomes '__') and each earlier version of an in-place chain as
DIR/<blob>@<k>.npy, k = 0 for the producer's output.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 3 {
				return usagef("run needs net.prototxt, weights.caffemodel and at least one INPUT")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			o.prototxt, o.weights, o.inputs = args[0], args[1], args[2:]
			return runRun(e, o)
		},
	}
	o.net.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&o.preset, "preset", "caffe", "image preprocessing: caffe (pycaffe) or opencv (blobFromImage)")
	f.StringVar(&o.mean, "mean", "", "per-channel mean in the net's channel order, e.g. 104,117,123")
	f.StringVar(&o.meanFile, "mean-file", "", "mean image: .binaryproto or .npy (C×H×W or C)")
	f.Float32Var(&o.scale, "scale", 0, "multiply after mean subtraction (pycaffe input_scale; blobFromImage scalefactor); default 1")
	f.Float32Var(&o.rawScale, "raw-scale", 0, "multiply the [0,1] image before the mean (preset caffe); default 255")
	f.BoolVar(&o.swapRB, "swap-rb", false, "feed R,G,B instead of Caffe's B,G,R")
	f.StringVar(&o.resize, "resize", "", "resize images to WxH instead of the input blob's size")
	f.BoolVar(&o.crop, "crop", false, "resize to cover and centre-crop instead of stretching")
	f.StringVar(&o.labels, "labels", "", "label file, one label per line (synset_words.txt)")
	f.IntVar(&o.top, "top", 5, "number of ranked labels to print")
	f.BoolVar(&o.json, "json", false, "print results as JSON")
	f.StringVar(&o.dump, "dump", "", "write every blob as DIR/<blob>.npy")
	f.StringArrayVar(&o.outputs, "output", nil, "blob to report (repeatable); default: the net's outputs")
	f.IntVar(&o.batch, "batch", 0, "images per forward pass (default: the declared batch size)")
	f.StringVar(&o.blob, "blob", "", "input blob that images feed (default: the first input)")
	f.BoolVar(&o.noBar, "no-progress", false, "no progress bar on stderr")
	f.IntVar(&o.threads, "threads", 0, "goroutines per layer (default: GOMAXPROCS)")
	return cmd
}

// item is one input: an image or array for the image blob, or named arrays.
type item struct {
	path  string
	blob  string // for blob=file.npy
	isNpy bool
}

func runRun(e *env, o *runOpts) error {
	if o.preset != "caffe" && o.preset != "opencv" {
		return usagef("--preset must be caffe or opencv, not %q", o.preset)
	}
	if o.top < 1 {
		return usagef("--top must be at least 1")
	}
	items, named, err := collectInputs(o.inputs)
	if err != nil {
		return err
	}
	net, err := o.net.load(e, o.prototxt, o.weights, false)
	if err != nil {
		return err
	}
	if net.Report != nil && len(net.Report.Missing) > 0 {
		return fmt.Errorf("%s: no weights for %s (run `caffetool init` to fill them)", o.weights, strings.Join(net.Report.Missing, ", "))
	}
	outs, err := selectOutputs(net.Graph, o.outputs)
	if err != nil {
		return err
	}
	// A dump needs every blob version; otherwise only the reported blobs
	// must survive the forward pass, and buffers are reused.
	x, err := compile(net, o.prototxt, exec.Options{Threads: o.threads, KeepAll: o.dump != "", Keep: outs})
	if err != nil {
		return err
	}
	ins := x.Inputs()
	if len(ins) == 0 {
		return fmt.Errorf("%s: the net has no input blobs", o.prototxt)
	}
	target := ins[0]
	if o.blob != "" {
		if target = findValue(ins, o.blob); target == nil {
			return usagef("--blob %s: not an input blob (inputs: %s)", o.blob, valueNames(ins))
		}
	}
	pre, err := o.preprocessOptions(target.Shape)
	if err != nil {
		return err
	}
	var labels []string
	if o.labels != "" {
		if labels, err = readLabels(o.labels); err != nil {
			return err
		}
	}

	// Named arrays are fed on every pass; images and unnamed arrays are
	// batched into the target blob.
	fixed := map[string]*graph.Tensor{}
	for blob, path := range named {
		t, err := npy.Read(path)
		if err != nil {
			return err
		}
		if findValue(ins, blob) == nil {
			return usagef("%s=%s: %s is not an input blob (inputs: %s)", blob, path, blob, valueNames(ins))
		}
		fixed[blob] = t
	}
	batch := o.batch
	if batch <= 0 {
		batch = 1
		if len(target.Shape) > 0 && target.Shape[0] > 0 {
			batch = target.Shape[0]
		}
	}
	if len(items) == 0 {
		batch = 0
	}
	bar := newProgress(e.err, len(items), !o.noBar && len(items) > 1 && !o.json)
	var results []itemResult
	for start := 0; start < len(items) || (start == 0 && len(items) == 0); start += max(batch, 1) {
		end := min(start+batch, len(items))
		feed := map[string]*graph.Tensor{}
		for k, v := range fixed {
			feed[k] = v
		}
		if end > start {
			t, err := loadBatch(items[start:end], target, pre, o)
			if err != nil {
				return err
			}
			feed[target.Blob] = t
		}
		if err := reshapeFor(x, feed); err != nil {
			return err
		}
		if err := x.Forward(feed); err != nil {
			return fmt.Errorf("%s: %w", o.prototxt, err)
		}
		names := []string{}
		for _, it := range items[start:end] {
			names = append(names, it.path)
		}
		if len(names) == 0 {
			for k, v := range named {
				names = append(names, k+"="+v)
			}
			sort.Strings(names)
			names = []string{strings.Join(names, " ")}
		}
		results = append(results, summarize(x, outs, names, labels, o.top)...)
		if o.dump != "" {
			dir := o.dump
			if len(items) > batch {
				dir = filepath.Join(o.dump, strconv.Itoa(start/batch))
			}
			if err := refuseDumpOverwrite(x, dir, o.inputFiles(items, named)); err != nil {
				return err
			}
			if err := dumpBlobs(x, dir); err != nil {
				return err
			}
		}
		bar.add(end - start)
		if len(items) == 0 {
			break
		}
	}
	bar.done()
	if o.json {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	printResults(e.out, results)
	return nil
}

func valueNames(vs []*graph.Value) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Blob)
	}
	return strings.Join(s, ", ")
}

func findValue(vs []*graph.Value, name string) *graph.Value {
	for _, v := range vs {
		if v.Blob == name {
			return v
		}
	}
	return nil
}

// collectInputs expands directories and splits blob=file.npy arguments.
func collectInputs(args []string) ([]item, map[string]string, error) {
	var items []item
	named := map[string]string{}
	for _, a := range args {
		if blob, path, ok := strings.Cut(a, "="); ok && blob != "" {
			if _, err := os.Stat(a); err != nil { // a file name may contain '='
				if !strings.HasSuffix(strings.ToLower(path), ".npy") {
					return nil, nil, usagef("%s: a named input must be blob=file.npy", a)
				}
				if _, dup := named[blob]; dup {
					return nil, nil, usagef("input blob %s given twice", blob)
				}
				named[blob] = path
				continue
			}
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			items = append(items, item{path: a, isNpy: strings.HasSuffix(strings.ToLower(a), ".npy")})
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, nil, err
		}
		n := 0
		for _, d := range ents {
			ext := strings.ToLower(filepath.Ext(d.Name()))
			if d.IsDir() || !(ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".gif" || ext == ".npy") {
				continue
			}
			items = append(items, item{path: filepath.Join(a, d.Name()), isNpy: ext == ".npy"})
			n++
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("%s: no images or .npy files in directory", a)
		}
	}
	return items, named, nil
}

func (o *runOpts) preprocessOptions(shape graph.Shape) (imageio.Options, error) {
	p := imageio.Options{Preset: o.preset, Scale: o.scale, RawScale: o.rawScale, SwapRB: o.swapRB, Crop: o.crop}
	if len(shape) == 4 {
		p.Channels, p.Height, p.Width = shape[1], shape[2], shape[3]
	}
	if o.resize != "" {
		w, h, ok := strings.Cut(strings.ToLower(o.resize), "x")
		wi, err1 := strconv.Atoi(w)
		hi, err2 := strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || wi <= 0 || hi <= 0 {
			return p, usagef("--resize %q: want WxH, e.g. 224x224", o.resize)
		}
		p.Width, p.Height = wi, hi
	}
	if o.mean != "" {
		for _, s := range strings.Split(o.mean, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
			if err != nil {
				return p, usagef("--mean %q: %q is not a number", o.mean, s)
			}
			p.Mean = append(p.Mean, float32(v))
		}
	}
	if o.meanFile != "" {
		t, err := imageio.ReadMeanFile(o.meanFile, func(b []byte) (*graph.Tensor, error) {
			return caffe.DecodeBlobFile(o.meanFile, b)
		})
		if err != nil {
			return p, err
		}
		p.MeanImage = t
	}
	return p, nil
}

// loadBatch reads items into one N×... tensor for the target blob.
func loadBatch(items []item, target *graph.Value, pre imageio.Options, o *runOpts) (*graph.Tensor, error) {
	var parts []*graph.Tensor
	for _, it := range items {
		var t *graph.Tensor
		var err error
		if it.isNpy {
			t, err = npy.Read(it.path)
		} else {
			var img *imageio.Image
			if img, err = imageio.Load(it.path); err == nil {
				if len(target.Shape) != 4 {
					return nil, fmt.Errorf("%s: input blob %s has shape %s; images need a 4-D N×C×H×W input", it.path, target.Blob, target.Shape)
				}
				if img.Channels != target.Shape[1] && !(img.Channels == 1 && target.Shape[1] == 3) && !(img.Channels == 3 && target.Shape[1] == 1) {
					return nil, fmt.Errorf("%s: image has %d channels, input blob %s wants %d", it.path, img.Channels, target.Blob, target.Shape[1])
				}
				if t, err = imageio.Preprocess(img, pre); err != nil {
					err = fmt.Errorf("%s: %w", it.path, err)
				}
			}
		}
		if err != nil { // npy.Read and imageio.Load name the file themselves
			return nil, err
		}
		// A single sample without its batch axis gets one.
		if len(t.Shape) == len(target.Shape)-1 {
			t = &graph.Tensor{Shape: append(graph.Shape{1}, t.Shape...), Data: t.Data}
		}
		if len(t.Shape) != len(target.Shape) {
			return nil, fmt.Errorf("%s: array of shape %s does not fit input blob %s of shape %s", it.path, t.Shape, target.Blob, target.Shape)
		}
		if len(parts) > 0 && !t.Shape[1:].Equal(parts[0].Shape[1:]) {
			return nil, fmt.Errorf("%s: shape %s differs from the batch's %s", it.path, t.Shape, parts[0].Shape)
		}
		parts = append(parts, t)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	shape := parts[0].Shape.Clone()
	shape[0] = 0
	var data []float32
	for _, p := range parts {
		shape[0] += p.Shape[0]
		data = append(data, p.Data...)
	}
	return &graph.Tensor{Shape: shape, Data: data}, nil
}

// reshapeFor reshapes the net when a fed array's shape differs from the
// blob's current shape (pycaffe's blobs[...].reshape + net.reshape()).
func reshapeFor(x *exec.Net, feed map[string]*graph.Tensor) error {
	var changed []string
	shapes := map[string]graph.Shape{}
	for _, v := range x.Inputs() {
		shapes[v.Blob] = v.Shape.Clone()
		if t, ok := feed[v.Blob]; ok && !t.Shape.Equal(v.Shape) {
			shapes[v.Blob] = t.Shape.Clone()
			changed = append(changed, fmt.Sprintf("%s %s (net has %s)", v.Blob, t.Shape, v.Shape))
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if err := x.Reshape(shapes); err != nil {
		return fmt.Errorf("the net cannot take input %s: %w", strings.Join(changed, ", "), err)
	}
	return nil
}

func selectOutputs(g *graph.Graph, names []string) ([]string, error) {
	if len(names) == 0 {
		for _, v := range g.Outputs() {
			names = append(names, v.Blob)
		}
		return names, nil
	}
	for _, n := range names {
		if g.Blob(n) == nil {
			return nil, usagef("--output %s: no such blob", n)
		}
	}
	return names, nil
}

func readLabels(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		out = append(out, strings.TrimRight(l, "\r"))
	}
	return out, nil
}

// progress is a minimal stderr progress bar.
type progress struct {
	w        io.Writer
	n, total int
	on       bool
}

func newProgress(w io.Writer, total int, on bool) *progress {
	return &progress{w: w, total: total, on: on}
}

func (p *progress) add(k int) {
	p.n += k
	if !p.on {
		return
	}
	const width = 30
	fill := width * p.n / max(p.total, 1)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", fill), strings.Repeat(" ", width-fill), p.n, p.total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
