package imageio

import "math"

// This file holds the two bilinear resizers the presets need. Both map
// destination pixel centres to source coordinates with the half-pixel
// convention src = (dst + 0.5)·(in/out) − 0.5; they differ at the borders
// and in arithmetic.

// OpenCV's INTER_LINEAR on 8-bit images works in fixed point: weights are
// rounded to 11 bits, the horizontal pass keeps int sums, the vertical
// pass rounds back to 8 bits.
const (
	cvCoefBits  = 11
	cvCoefScale = 1 << cvCoefBits
)

// cvAxis holds, per destination index, the first source index and the two
// fixed-point weights for one axis.
type cvAxis struct {
	ofs []int
	w   []int32 // 2 per destination index
}

// cvLinearAxis reproduces cv::resize's coefficient tables (OpenCV 4.x,
// resize.cpp): fx = float((d+0.5)·scale − 0.5), s = floor(fx), fx −= s,
// weights saturate_cast<short>((1−fx)·2048) and (fx·2048), rounding half
// to even. Along x, a source index left of 0 or at/after the last column
// becomes that edge with weight (1, 0); along y OpenCV keeps the raw
// index and clips the two rows instead (clampFrac false), which gives the
// same values.
func cvLinearAxis(dsize, ssize int, scale float64, clampFrac bool) cvAxis {
	a := cvAxis{ofs: make([]int, dsize), w: make([]int32, 2*dsize)}
	for d := 0; d < dsize; d++ {
		f := float32((float64(d)+0.5)*scale - 0.5)
		s := int(math.Floor(float64(f)))
		f -= float32(s)
		if clampFrac {
			if s < 0 {
				f, s = 0, 0
			}
			if s >= ssize-1 {
				f, s = 0, ssize-1
			}
		}
		a.ofs[d] = s
		a.w[2*d] = int32(math.RoundToEven(float64((1 - f) * cvCoefScale)))
		a.w[2*d+1] = int32(math.RoundToEven(float64(f * cvCoefScale)))
	}
	return a
}

// resizeCV8 is cv::resize(src, (dw, dh), fx, fy, INTER_LINEAR) for an
// 8-bit image of cn interleaved channels. invX and invY are OpenCV's
// inv_scale (dw/sw for an explicit size, the factor otherwise); the source
// step is 1/inv, as in OpenCV. Bit-exact with OpenCV 4.x: the horizontal
// pass keeps s = p0·a0 + p1·a1 (11-bit weights), the vertical pass
// computes ((b0·(s0>>4))>>16 + (b1·(s1>>4))>>16 + 2)>>2 for every column
// (its SIMD kernel's formula, which OpenCV's scalar tail copies so that all
// columns round alike), not the exact (b0·s0 + b1·s1 + 2^21)>>22.
func resizeCV8(src []uint8, sw, sh, cn, dw, dh int, invX, invY float64) []uint8 {
	if sw == dw && sh == dh {
		return append([]uint8(nil), src...)
	}
	ax := cvLinearAxis(dw, sw, 1/invX, true)
	ay := cvLinearAxis(dh, sh, 1/invY, false)
	W := dw * cn

	// Horizontal pass over every source row a destination row needs.
	rows := map[int][]int32{}
	hrow := func(sy int) []int32 {
		if r, ok := rows[sy]; ok {
			return r
		}
		s := src[sy*sw*cn : (sy+1)*sw*cn]
		r := make([]int32, W)
		for dx := 0; dx < dw; dx++ {
			sx := ax.ofs[dx]
			a0, a1 := ax.w[2*dx], ax.w[2*dx+1]
			for k := 0; k < cn; k++ {
				v := int32(s[sx*cn+k]) * a0
				if sx+1 < sw {
					v += int32(s[(sx+1)*cn+k]) * a1
				} else {
					v = int32(s[sx*cn+k]) * cvCoefScale
				}
				r[dx*cn+k] = v
			}
		}
		rows[sy] = r
		return r
	}
	clip := func(y int) int { return min(max(y, 0), sh-1) }

	out := make([]uint8, dh*W)
	for dy := 0; dy < dh; dy++ {
		sy := ay.ofs[dy]
		r0, r1 := hrow(clip(sy)), hrow(clip(sy+1))
		b0, b1 := ay.w[2*dy], ay.w[2*dy+1]
		d := out[dy*W : (dy+1)*W]
		for x := 0; x < W; x++ {
			v := ((b0*(r0[x]>>4))>>16 + (b1*(r1[x]>>4))>>16 + 2) >> 2
			d[x] = uint8(min(max(v, 0), 255))
		}
	}
	return out
}

// resizePycaffe is caffe.io.resize_image(im, (dh, dw)) with interp_order
// 1 on an HWC float image: the image is min-max normalised over all
// channels, resized by skimage.transform.resize (order 1, mode
// 'constant', cval 0, no anti-aliasing as in skimage < 0.15), and mapped
// back. Bilinear weights use the four neighbours floor/ceil of the source
// coordinate; neighbours outside the image read 0 in normalised space,
// i.e. the image minimum, which darkens the border when upsampling
// exactly as pycaffe does. A constant image gives that constant.
func resizePycaffe(src []float32, sw, sh, cn, dw, dh int) []float32 {
	out := make([]float32, dw*dh*cn)
	if len(src) == 0 {
		return out
	}
	mn, mx := src[0], src[0]
	for _, v := range src {
		mn, mx = min(mn, v), max(mx, v)
	}
	if !(mx > mn) {
		for i := range out {
			out[i] = mn
		}
		return out
	}
	rng := mx - mn // float32, as NumPy computes it
	norm := make([]float64, len(src))
	for i, v := range src {
		norm[i] = float64((v - mn) / rng)
	}
	px := func(r, c, k int) float64 {
		if r < 0 || r >= sh || c < 0 || c >= sw {
			return 0
		}
		return norm[(r*sw+c)*cn+k]
	}
	rs, cs := float64(sh)/float64(dh), float64(sw)/float64(dw)
	for y := 0; y < dh; y++ {
		r := rs*(float64(y)+0.5) - 0.5
		r0, r1 := math.Floor(r), math.Ceil(r)
		fr := r - r0
		for x := 0; x < dw; x++ {
			c := cs*(float64(x)+0.5) - 0.5
			c0, c1 := math.Floor(c), math.Ceil(c)
			fc := c - c0
			for k := 0; k < cn; k++ {
				top := (1-fc)*px(int(r0), int(c0), k) + fc*px(int(r0), int(c1), k)
				bot := (1-fc)*px(int(r1), int(c0), k) + fc*px(int(r1), int(c1), k)
				v := (1-fr)*top + fr*bot
				out[(y*dw+x)*cn+k] = float32(v*float64(rng) + float64(mn))
			}
		}
	}
	return out
}
