//go:build !amd64 || purego

package exec

// Without the amd64 kernels every row takes the scalar loops.

const hasAVX2 = false

func dwRow3Vec(out, r0, r1, r2, w []float32) int { return 0 }

func affineVec(row []float32, k *[5]float32, relu bool) int { return 0 }

func hscanVec(dst, src []float32, k, s int) int { return 0 }

func vscanVec(dst, src []float32) int { return 0 }

func dwRow3S2Vec(out, r0, r1, r2, w []float32) int { return 0 }

func lrnSqAccVec(acc, x []float32) int { return 0 }

func lrnPow75Vec(y, x, s []float32, k, coef float32) int { return 0 }

func eltAxpyVec(acc, x []float32, c float32) int { return 0 }

func pool3Vec(dst, r0, r1, r2 []float32, s int) int { return 0 }

func directRow4Vec(out []float32, plane int, taps []float32, ldt int, w []float32, k, n int) int {
	return 0
}
