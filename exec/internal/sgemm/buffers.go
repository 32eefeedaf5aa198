package sgemm

import (
	"sync"
	"unsafe"
)

// workspace holds one goroutine's packing buffers for the blocked path.
type workspace struct {
	a []float32 // Mc×Kc packed A
	b []float32 // Kc×Nc packed B
}

// workspaces recycles packing buffers per instruction set (the sizes
// differ), so steady-state calls allocate nothing.
var workspaces sync.Map // *isa → *sync.Pool of *workspace

func getWorkspace(s *isa) *workspace {
	pool, _ := workspaces.LoadOrStore(s, &sync.Pool{New: func() any { return new(workspace) }})
	w := pool.(*sync.Pool).Get().(*workspace)
	if n := s.blk.Mc * s.blk.Kc; len(w.a) < n {
		w.a = alignedFloats(n)
	}
	if n := s.blk.Kc * s.blk.Nc; len(w.b) < n {
		w.b = alignedFloats(n)
	}
	return w
}

func putWorkspace(s *isa, w *workspace) {
	if pool, ok := workspaces.Load(s); ok {
		pool.(*sync.Pool).Put(w)
	}
}

// vectors recycles the scratch vectors of the matrix-vector path.
var vectors sync.Pool // of *[]float32

// getVector returns a zeroed scratch vector of length n.
func getVector(n int) *[]float32 {
	if v, ok := vectors.Get().(*[]float32); ok && cap(*v) >= n {
		*v = (*v)[:n]
		clear(*v)
		return v
	}
	v := alignedFloats(n)
	return &v
}

func putVector(v *[]float32) { vectors.Put(v) }

// alignedFloats returns n zeroed floats starting on a 64-byte boundary, so
// packed panels never split a zmm load across cache lines.
func alignedFloats(n int) []float32 {
	s := make([]float32, n+15)
	off := 0
	if mis := uintptr(unsafe.Pointer(&s[0])) & 63; mis != 0 {
		off = int(64-mis) / 4
	}
	return s[off : off+n : off+n]
}
