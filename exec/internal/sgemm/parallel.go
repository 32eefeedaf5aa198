package sgemm

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// threads is the SetThreads value; 0 means runtime.GOMAXPROCS(0).
var threads atomic.Int64

// SetThreads sets how many goroutines one Sgemm call may use; n ≤ 0
// restores the default, runtime.GOMAXPROCS(0) at call time.
func SetThreads(n int) { threads.Store(int64(max(n, 0))) }

// Threads reports the current goroutine budget of one Sgemm call.
func Threads() int {
	if n := int(threads.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

const (
	// minWorkPerThread is the number of multiply-adds (m·n·k) below which
	// an extra goroutine costs more than it saves: about 10 µs of kernel
	// time against a few µs to start, pack for and join a goroutine.
	minWorkPerThread = 1 << 20

	// chunksPerThread: work is cut into up to this many chunks per
	// goroutine and handed out first come, first served, so a goroutine
	// on a busy or slower core simply takes fewer chunks.
	chunksPerThread = 4
)

// workers returns how many goroutines a problem of the given multiply-add
// count should use.
func workers(work int) int {
	return max(1, min(Threads(), work/minWorkPerThread))
}

// parallel runs worker on min(t, n) goroutines, the caller included; each
// worker calls next for chunk indices in [0, n) until it reports false.
func parallel(t, n int, worker func(next func() (int, bool))) {
	var counter atomic.Int64
	next := func() (int, bool) {
		i := int(counter.Add(1)) - 1
		return i, i < n
	}
	var wg sync.WaitGroup
	for g := 1; g < min(t, n); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker(next)
		}()
	}
	worker(next)
	wg.Wait()
}

// blocked runs the packed path. With several goroutines, C is cut into a
// tm×tn grid of blocks of whole register tiles; each block runs the whole
// loop nest with its goroutine's buffers. That repacks the operand shared
// along a cut once per block, which the grid choice keeps small, and needs
// no synchronisation beyond handing out blocks.
func (pr *problem) blocked() {
	t := workers(pr.m * pr.n * pr.k)
	if t == 1 {
		w := getWorkspace(pr.isa)
		pr.run(w, 0, pr.m, 0, pr.n)
		putWorkspace(pr.isa, w)
		return
	}
	mR, nR := pr.isa.blk.Mr, pr.isa.blk.Nr
	mp, np := ceilDiv(pr.m, mR), ceilDiv(pr.n, nR)
	tm, tn := pr.grid(t, mp, np)
	parallel(t, tm*tn, func(next func() (int, bool)) {
		w := getWorkspace(pr.isa)
		for id, ok := next(); ok; id, ok = next() {
			ti, tj := id/tn, id%tn
			i0, i1 := min(pr.m, part(mp, tm, ti)*mR), min(pr.m, part(mp, tm, ti+1)*mR)
			j0, j1 := min(pr.n, part(np, tn, tj)*nR), min(pr.n, part(np, tn, tj+1)*nR)
			pr.run(w, i0, i1, j0, j1)
		}
		putWorkspace(pr.isa, w)
	})
}

// grid picks a tm×tn grid of at most chunksPerThread·t blocks over an
// mp×np array of register tiles. Its cost estimate for t goroutines is the
// total work spread evenly plus the largest block, which is the most the
// first-come hand-out can leave unbalanced. Work is kernel multiply-adds
// plus packed elements (each costing roughly packWeight multiply-adds):
// every column block packs all its rows of A once per Nc columns, and
// every row block packs its columns of B unless B is read in place. More
// blocks balance better but repack more.
func (pr *problem) grid(t, mp, np int) (tm, tn int) {
	const packWeight = 8
	blk := pr.isa.blk
	m, n, k := float64(mp*blk.Mr), float64(np*blk.Nr), float64(pr.k)
	cost := func(rows, cols, rowBlocks, colBlocks int) (total, largest float64) {
		aPacks := float64(ceilDiv(cols, blk.Nc))
		total = m*n*k + packWeight*float64(colBlocks)*m*k*aPacks
		largest = float64(rows)*float64(cols)*k + packWeight*float64(rows)*k*aPacks
		if !pr.directB() {
			total += packWeight * float64(rowBlocks) * n * k
			largest += packWeight * float64(cols) * k
		}
		return total, largest
	}
	best := -1.0
	for a := 1; a <= min(chunksPerThread*t, mp); a++ {
		for b := 1; a*b <= chunksPerThread*t && b <= np; b++ {
			total, largest := cost(ceilDiv(mp, a)*blk.Mr, ceilDiv(np, b)*blk.Nr, a, b)
			if c := total/float64(t) + largest; best < 0 || c < best {
				best, tm, tn = c, a, b
			}
		}
	}
	return tm, tn
}

// part returns the start of share i of n items split into parts shares
// whose sizes differ by at most one.
func part(n, parts, i int) int { return i * n / parts }

func ceilDiv(a, b int) int { return (a + b - 1) / b }
