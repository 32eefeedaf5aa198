package sgemm

import "sync/atomic"

// isa bundles everything that differs between instruction sets.
type isa struct {
	name string
	blk  blocking

	// kernel computes C[0:mr, 0:nr] = alpha·Ap·B + beta·C over kc steps of
	// a packed Mr-row A panel and a B panel whose rows are ldb apart: Nr
	// for a packed panel, or B's own row stride when read in place. 1 ≤ mr
	// ≤ Mr, 1 ≤ nr ≤ Nr. beta == 0 must not read C. c starts at the tile's
	// first element and must hold (mr-1)·ldc+nr elements.
	kernel func(kc int, ap, bp []float32, ldb int, c []float32, ldc int, alpha, beta float32, mr, nr int)

	// directB: the kernel reads only the first nr columns of each B row,
	// so it can take row-major B in place, unpacked.
	directB bool

	// packB packs kc rows of a row-major (not transposed) B panel of nr ≤
	// Nr columns starting at src into dst (kc·Nr), zero-filling columns
	// nr..Nr-1.
	packB func(dst, src []float32, ldb, kc, nr int)

	// packAT, if set, packs a full Mr-row panel of row-major A (src at
	// the panel's first element, stride lda) for the leading whole
	// transpose tiles (16 or 8 depth steps) of kc and returns how many
	// steps it packed; Go packs the rest. packBT does the same for a full
	// Nr-column panel of transposed B (stored n×k, stride ldb).
	packAT func(dst, src []float32, lda, kc int) int
	packBT func(dst, src []float32, ldb, kc int) int

	// dot returns x·y; axpy does y += alpha·x (len(x) == len(y)).
	dot  func(x, y []float32) float32
	axpy func(alpha float32, x, y []float32)

	// dot4, if set, returns the dot products of y with the four rows of a
	// starting at 0, lda, 2·lda and 3·lda (each len(y) long), each with
	// dot's bits: one pass streaming four rows at once.
	dot4 func(a []float32, lda int, y []float32) [4]float32
}

// kernels lists the implementations this CPU can run, fastest first;
// available() is defined per build (kernel_amd64.go, kernel_other.go).
var kernels = available()

var active atomic.Pointer[isa]

func init() { active.Store(kernels[0]) }

func activeISA() *isa { return active.Load() }

// useKernel selects the implementation with the given name ("avx512",
// "avx2", "generic") and returns the previous one; it reports false if this
// CPU or build lacks it. It is the knob tests and benchmarks use to force
// each kernel.
func useKernel(name string) (prev string, ok bool) {
	prev = activeISA().name
	for _, k := range kernels {
		if k.name == name {
			active.Store(k)
			return prev, true
		}
	}
	return prev, false
}

// kernelNames lists the names useKernel accepts on this machine.
func kernelNames() []string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = k.name
	}
	return names
}
