package exec

import "testing"

// TestGatherRowOutside: rows whose every tap lies outside the input (the
// fuzzer's crash: start past the end of src) come out all zero.
func TestGatherRowOutside(t *testing.T) {
	src := []float32{7}
	for _, c := range []struct{ ix0, s int }{{2, 1}, {5, 3}, {1, 2}, {-9, 1}, {-9, 2}} {
		dst := []float32{9, 9, 9}
		gatherRow(dst, src, c.ix0, c.s)
		for i, v := range dst {
			if v != 0 {
				t.Errorf("ix0 %d stride %d: dst[%d] = %g, want 0", c.ix0, c.s, i, v)
			}
		}
	}
	dst := []float32{9, 9, 9}
	gatherRow(dst, []float32{1, 2, 3, 4}, -1, 2) // reads -1, 1, 3
	if dst[0] != 0 || dst[1] != 2 || dst[2] != 4 {
		t.Errorf("got %v, want [0 2 4]", dst)
	}
}
