//go:build amd64 && !purego

package sgemm

import (
	"slices"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestKernelSelection makes sure the assembly kernels this CPU supports are
// really exercised by the other tests, and that the best one is the default.
func TestKernelSelection(t *testing.T) {
	names := kernelNames()
	if cpu.X86.HasAVX512F && !slices.Contains(names, "avx512") {
		t.Errorf("CPU has AVX-512F but kernels are %v", names)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA && !slices.Contains(names, "avx2") {
		t.Errorf("CPU has AVX2+FMA but kernels are %v", names)
	}
	if kernels[0] != activeISA() {
		t.Errorf("active kernel %s, want the fastest %s", activeISA().name, kernels[0].name)
	}
	t.Logf("kernels on this CPU: %v", names)
}
