package sgemm

// blocking holds the tile and cache-block sizes of one instruction set.
// doc.go explains how each was chosen.
//
//	Mr×Nr  register tile of C computed by one micro-kernel call
//	Kc     depth of one packed slice of A and B
//	Mc     rows of A packed at a time (a whole number of Mr panels)
//	Nc     columns of B packed at a time (a whole number of Nr panels);
//	       the Kc×Nc packed block of B is meant to stay in L2
type blocking struct{ Mr, Nr, Kc, Mc, Nc int }

var (
	// 14×32: 28 zmm accumulators + 2 for B + 1-2 for the A broadcast fill
	// the 32 vector registers. A's 14×Kc micro-panel (14 KiB) stays in a
	// 48 KiB L1 while B's 32-column micro-panels stream from L2; the packed
	// 256×1024 B block is 1 MiB of a 2 MiB L2.
	blockingAVX512 = blocking{Mr: 14, Nr: 32, Kc: 256, Mc: 140, Nc: 1024}

	// 6×16: 12 ymm accumulators + 2 for B + 2 broadcasts = 16 registers.
	// Sized for 32 KiB L1 and 256–512 KiB L2 (Haswell…Zen): the 6×256 A
	// micro-panel is 6 KiB, the 256×192 B block 192 KiB.
	blockingAVX2 = blocking{Mr: 6, Nr: 16, Kc: 256, Mc: 144, Nc: 192}

	// 4×4 scalar tile: 16 accumulators are what the Go compiler keeps in
	// registers on amd64 and arm64 without spilling in the inner loop.
	blockingGeneric = blocking{Mr: 4, Nr: 4, Kc: 256, Mc: 128, Nc: 512}
)
