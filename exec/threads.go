package exec

import (
	"runtime"
	"sync"
	"time"
)

// parallel splits a layer's work across goroutines. A Net owns one and
// hands it to every layer that implements threadUser; layers run one at a
// time, so its WaitGroup is never shared by two calls at once. A nil
// *parallel runs everything on the calling goroutine.
//
// The workers are package-wide and long-lived: a parallel region sends
// plain task values down a channel, so a steady-state forward pass starts
// no goroutine and allocates nothing, as long as the function passed to
// For is created once (a method value stored at compile time), not per call.
type parallel struct {
	threads int
	wg      sync.WaitGroup
	mu      sync.Mutex
	panic   any // the first panic of a worker share, re-raised by For
}

// newParallel returns a splitter for n goroutines (≤ 0: GOMAXPROCS), or
// nil when there is only one.
func newParallel(n int) *parallel {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if n == 1 {
		return nil
	}
	startWorkers(n - 1)
	return &parallel{threads: n}
}

// threadUser is a layer that splits its work with a parallel.
type threadUser interface {
	setParallel(p *parallel)
}

// Threads is the number of goroutines (1 for a nil parallel).
func (p *parallel) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// For calls fn on contiguous sub-ranges covering [0, n), each at least
// grain items long (except when n < grain), at most one per goroutine, and
// returns when all are done. fn must be safe to run concurrently on
// disjoint ranges and must not call For itself (the workers would wait on
// each other).
func (p *parallel) For(n, grain int, fn func(lo, hi int)) {
	parts := 1
	if p != nil && n > 0 {
		parts = min(p.threads, n/max(grain, 1))
	}
	if parts <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	p.wg.Add(parts - 1)
	for i := 1; i < parts; i++ {
		workQueue <- task{fn: fn, lo: i * n / parts, hi: (i + 1) * n / parts, p: p}
	}
	func() {
		defer p.recover()
		fn(0, n/parts) // the caller takes the first share instead of idling
	}()
	p.wg.Wait()
	if r := p.panic; r != nil {
		p.panic = nil
		panic(r) // on the caller's goroutine, where the runtime turns it into a layer error
	}
}

// recover records a panic of one share so that the others still finish
// and the caller can re-raise it.
func (p *parallel) recover() {
	if r := recover(); r != nil {
		p.mu.Lock()
		if p.panic == nil {
			p.panic = r
		}
		p.mu.Unlock()
	}
}

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	p      *parallel
}

func (t task) run() {
	defer t.p.wg.Done()
	defer t.p.recover()
	t.fn(t.lo, t.hi)
}

var (
	workQueue   = make(chan task, 64)
	workersMu   sync.Mutex
	workerCount int
)

// startWorkers makes sure at least n worker goroutines are running. They
// stay for the life of the process, blocked on the queue when idle.
func startWorkers(n int) {
	workersMu.Lock()
	defer workersMu.Unlock()
	for ; workerCount < n; workerCount++ {
		go func() {
			for {
				t, ok := nextTask()
				if !ok {
					return
				}
				t.run()
			}
		}()
	}
}

// workerSpin is how long an idle worker keeps polling the queue before it
// blocks. A forward pass calls For every few tens of microseconds; a
// worker that has gone to sleep takes about as long to wake up, which the
// caller would spend waiting for it.
const workerSpin = 50 * time.Microsecond

// nextTask returns the next task, polling for workerSpin (yielding the
// processor to other goroutines between polls) before blocking.
func nextTask() (task, bool) {
	start := time.Now()
	for time.Since(start) < workerSpin {
		select {
		case t, ok := <-workQueue:
			return t, ok
		default:
			runtime.Gosched()
		}
	}
	t, ok := <-workQueue
	return t, ok
}
