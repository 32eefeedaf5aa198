package exec_test

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

func zzThreadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZProf(t *testing.T) {
	path := os.Getenv("ZZNET")
	if path == "" {
		t.Skip()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	net, err := caffe.Load(path, "", caffe.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := net.Graph
	if err := g.InferShapes(nil); err != nil {
		t.Fatal(err)
	}
	shapes := map[string]graph.Shape{}
	for _, v := range g.Values {
		if v.Producer != nil && (v.Producer.Type == "Input") {
			s := v.Shape.Clone()
			s[0] = 1
			shapes[v.Blob] = s
		}
	}
	if err := g.InferShapes(shapes); err != nil {
		t.Fatal(err)
	}
	exec.InitParams(g, 1, false)
	x, err := exec.Compile(g, exec.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	iters := 4
	if os.Getenv("ZZFUSED") != "" {
		iters = 40
	}
	for it := 0; it < iters; it++ {
		t0 := zzThreadCPU()
		x.Forward(nil)
		if it > 0 {
			total += zzThreadCPU() - t0
		}
	}
	if os.Getenv("ZZFUSED") != "" {
		t.Logf("fused forward %v", total/time.Duration(iters-1))
		return
	}
	per := map[string]time.Duration{}
	typ := map[string]string{}
	var last time.Duration
	var lastNode *graph.Node
	xo, err := exec.Compile(g, exec.Options{Threads: 1, Observe: func(v *graph.Value, _ *graph.Tensor) {
		if v.Producer == lastNode {
			return
		}
		now := zzThreadCPU()
		per[v.Producer.Name] += now - last
		typ[v.Producer.Name] = v.Producer.Type
		last, lastNode = now, v.Producer
	}})
	if err != nil {
		t.Fatal(err)
	}
	xo.Forward(nil)
	for k := range per {
		per[k] = 0
	}
	for it := 0; it < 3; it++ {
		last, lastNode = zzThreadCPU(), nil
		xo.Forward(nil)
	}
	type kv struct {
		k string
		v time.Duration
	}
	var s []kv
	var sum time.Duration
	for k, v := range per {
		s = append(s, kv{k, v / 3})
		sum += v / 3
	}
	sort.Slice(s, func(i, j int) bool { return s[i].v > s[j].v })
	byType := map[string]time.Duration{}
	for _, e := range s {
		byType[typ[e.k]] += e.v
	}
	out := fmt.Sprintf("thread CPU per forward %v (wall sum %v)\n", total/3, sum)
	for k, v := range byType {
		out += fmt.Sprintf("  type %-14s %v\n", k, v)
	}
	for _, e := range s[:min(15, len(s))] {
		out += fmt.Sprintf("  %-30s %-12s %v\n", e.k, typ[e.k], e.v)
	}
	t.Log(out)
}
