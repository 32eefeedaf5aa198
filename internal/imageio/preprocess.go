package imageio

import (
	"errors"
	"fmt"
	"math"

	"github.com/caffetool/caffetool/graph"
)

// Options describe how an image becomes a C×H×W input blob. Channel-wise
// values (Mean, MeanImage) are in the network's channel order, i.e. after
// any channel swap: B, G, R for Caffe models unless SwapRB.
type Options struct {
	// Preset "caffe" follows pycaffe (caffe.io.load_image +
	// Transformer.preprocess): RGB floats in [0, 1], resize_image,
	// HWC→CHW, RGB→BGR, ×RawScale, −mean, ×Scale.
	// Preset "opencv" follows cv2.imread + cv2.dnn.blobFromImage: BGR
	// 8-bit samples, 8-bit INTER_LINEAR resize (or crop), (x − mean)·Scale.
	Preset string
	// Width and Height of the input blob; 0 keeps the image size.
	Width, Height int
	// Channels is 3 (colour) or 1 (gray); 0 means 3.
	Channels int
	// Mean per channel; a single value applies to every channel (Caffe's
	// mean_value rule).
	Mean []float32
	// MeanImage is a mean blob, C×H×W (1×C×H×W accepted) or C. A full
	// image larger than the input is centre-cropped to it, as Caffe's
	// DataTransformer does in TEST with crop_size.
	MeanImage *graph.Tensor
	// Scale multiplies after mean subtraction (pycaffe input_scale,
	// blobFromImage scalefactor); 0 means 1.
	Scale float32
	// RawScale multiplies the [0, 1] image before mean subtraction
	// (pycaffe raw_scale); preset caffe only, 0 means 255.
	RawScale float32
	// SwapRB yields R, G, B channel order instead of Caffe's B, G, R.
	SwapRB bool
	// Crop resizes so the image covers the input, keeping its aspect
	// ratio, then takes the centre (blobFromImage crop=true); otherwise
	// the image is resized to the input size.
	Crop bool
}

// Preprocess turns img into a C×H×W float32 tensor.
func Preprocess(img *Image, o Options) (*graph.Tensor, error) {
	if img == nil || img.Width <= 0 || img.Height <= 0 || len(img.Pix) != img.Width*img.Height*img.Channels {
		return nil, errors.New("preprocess: empty or inconsistent image")
	}
	if img.Channels != 1 && img.Channels != 3 {
		return nil, fmt.Errorf("preprocess: image has %d channels, want 1 or 3", img.Channels)
	}
	c := o.Channels
	if c == 0 {
		c = 3
	}
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("preprocess: channels must be 1 or 3, got %d", o.Channels)
	}
	w, h := o.Width, o.Height
	if (w == 0) != (h == 0) || w < 0 || h < 0 {
		return nil, fmt.Errorf("preprocess: input size %dx%d: give both width and height, or neither", w, h)
	}
	if w == 0 {
		w, h = img.Width, img.Height
	}
	if int64(w)*int64(h) > int64(MaxPixels) {
		return nil, fmt.Errorf("preprocess: input size %dx%d exceeds the %d-pixel limit", w, h, MaxPixels)
	}
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	if isBad(scale) || isBad(o.RawScale) {
		return nil, errors.New("preprocess: scale and raw scale must be finite")
	}
	mean, err := meanPlanes(o, c, h, w)
	if err != nil {
		return nil, err
	}
	var hwc []float32 // h×w×c in output channel order
	switch o.Preset {
	case "caffe":
		raw := o.RawScale
		if raw == 0 {
			raw = 255
		}
		if hwc, err = caffeHWC(img, c, w, h, o.Crop, o.SwapRB); err != nil {
			return nil, err
		}
		for i := range hwc {
			hwc[i] *= raw
		}
	case "opencv":
		if o.RawScale != 0 {
			return nil, errors.New("preprocess: raw scale applies to the caffe preset only (the opencv preset reads 0-255 samples)")
		}
		b, err := opencvHWC(img, c, w, h, o.Crop)
		if err != nil {
			return nil, err
		}
		hwc = make([]float32, len(b))
		for i, v := range b {
			hwc[i] = float32(v)
		}
		if o.SwapRB && c == 3 {
			swapRB(hwc)
		}
	default:
		return nil, fmt.Errorf("preprocess: unknown preset %q (want caffe or opencv)", o.Preset)
	}
	t := graph.NewTensor(graph.Shape{c, h, w})
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for k := 0; k < c; k++ {
				i := (k*h+y)*w + x
				v := hwc[(y*w+x)*c+k]
				if mean != nil {
					v -= mean[i]
				}
				t.Data[i] = v * scale
			}
		}
	}
	return t, nil
}

func isBad(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }

// swapRB reverses the channel order of every pixel of a 3-channel HWC image.
func swapRB(hwc []float32) {
	for i := 0; i+2 < len(hwc); i += 3 {
		hwc[i], hwc[i+2] = hwc[i+2], hwc[i]
	}
}

// coverSize is blobFromImage's crop geometry: the factor (computed in
// float32, as OpenCV does) that makes the image cover w×h, the resized
// size cvRound(side·factor), and the top-left corner of the centre crop.
func coverSize(iw, ih, w, h int) (factor float64, rw, rh, x0, y0 int, err error) {
	f := max(float32(w)/float32(iw), float32(h)/float32(ih))
	factor = float64(f)
	rw = int(math.RoundToEven(float64(iw) * factor))
	rh = int(math.RoundToEven(float64(ih) * factor))
	if rw < w || rh < h {
		return 0, 0, 0, 0, 0, fmt.Errorf("preprocess: crop: %dx%d image scaled to %dx%d does not cover %dx%d", iw, ih, rw, rh, w, h)
	}
	return factor, rw, rh, (rw - w) / 2, (rh - h) / 2, nil
}

// crop copies the w×h window at (x0, y0) of an rw-wide HWC image.
func crop[T any](src []T, rw, c, x0, y0, w, h int) []T {
	out := make([]T, 0, w*h*c)
	for y := y0; y < y0+h; y++ {
		out = append(out, src[(y*rw+x0)*c:(y*rw+x0+w)*c]...)
	}
	return out
}

// caffeHWC follows caffe.io.load_image and the geometric part of
// Transformer.preprocess: samples scaled to [0, 1] float32, gray→RGB by
// repetition or RGB→gray with skimage's rgb2gray weights, resize_image to
// the input size, then RGB→BGR unless swap is set.
func caffeHWC(img *Image, c, w, h int, cropIt, swap bool) ([]float32, error) {
	n := img.Width * img.Height
	src := make([]float32, n*c)
	full := img.Max()
	for p := 0; p < n; p++ {
		if img.Channels == 1 {
			v := float32(float64(img.Pix[p]) / full)
			for k := 0; k < c; k++ {
				src[p*c+k] = v
			}
			continue
		}
		r := float64(img.Pix[3*p]) / full
		g := float64(img.Pix[3*p+1]) / full
		b := float64(img.Pix[3*p+2]) / full
		if c == 1 {
			src[p] = float32(0.2125*r + 0.7154*g + 0.0721*b)
		} else {
			src[3*p], src[3*p+1], src[3*p+2] = float32(r), float32(g), float32(b)
		}
	}
	var out []float32
	switch {
	case img.Width == w && img.Height == h:
		out = src
	case cropIt:
		_, rw, rh, x0, y0, err := coverSize(img.Width, img.Height, w, h)
		if err != nil {
			return nil, err
		}
		out = crop(resizePycaffe(src, img.Width, img.Height, c, rw, rh), rw, c, x0, y0, w, h)
	default:
		out = resizePycaffe(src, img.Width, img.Height, c, w, h)
	}
	if c == 3 && !swap {
		swapRB(out)
	}
	return out, nil
}

// opencvHWC follows cv2.imread and the resize/crop of blobFromImage.
// IMREAD_COLOR gives BGR, 16-bit samples truncated to their high byte
// (libpng's strip_16) and gray files replicated. For IMREAD_GRAYSCALE a PNG
// is converted by libpng's rgb_to_gray (0.299, 0.587 in 15-bit fixed
// point, truncated), which this matches exactly; other formats use
// cvtColor's BGR2GRAY weights (libjpeg would return the Y plane of its
// own decode, which differs slightly anyway).
func opencvHWC(img *Image, c, w, h int, cropIt bool) ([]uint8, error) {
	n := img.Width * img.Height
	src := make([]uint8, n*c)
	shift := uint(img.Depth - 8)
	for p := 0; p < n; p++ {
		if img.Channels == 1 {
			v := uint8(img.Pix[p] >> shift)
			for k := 0; k < c; k++ {
				src[p*c+k] = v
			}
			continue
		}
		r := uint32(img.Pix[3*p] >> shift)
		g := uint32(img.Pix[3*p+1] >> shift)
		b := uint32(img.Pix[3*p+2] >> shift)
		switch {
		case c == 3:
			src[3*p], src[3*p+1], src[3*p+2] = uint8(b), uint8(g), uint8(r)
		case img.Format == "png":
			src[p] = uint8((r*9797 + g*19234 + b*3737) >> 15)
		default:
			src[p] = uint8((r*4899 + g*9617 + b*1868 + 1<<13) >> 14)
		}
	}
	iw, ih := img.Width, img.Height
	switch {
	case iw == w && ih == h:
		return src, nil
	case cropIt:
		f, rw, rh, x0, y0, err := coverSize(iw, ih, w, h)
		if err != nil {
			return nil, err
		}
		return crop(resizeCV8(src, iw, ih, c, rw, rh, f, f), rw, c, x0, y0, w, h), nil
	default:
		return resizeCV8(src, iw, ih, c, w, h, float64(w)/float64(iw), float64(h)/float64(ih)), nil
	}
}

// meanPlanes expands Options.Mean or Options.MeanImage to c×h×w values,
// or returns nil when there is no mean.
func meanPlanes(o Options, c, h, w int) ([]float32, error) {
	if o.Mean != nil && o.MeanImage != nil {
		return nil, errors.New("preprocess: give a mean value or a mean image, not both")
	}
	per := o.Mean
	if m := o.MeanImage; m != nil {
		s := m.Shape
		if len(s) == 4 && s[0] == 1 {
			s = s[1:]
		}
		if int64(len(m.Data)) != int64(s.Count()) {
			return nil, fmt.Errorf("preprocess: mean image shape %v does not match its %d values", m.Shape, len(m.Data))
		}
		switch len(s) {
		case 1:
			per = m.Data
		case 3:
			return cropMean(m.Data, s, c, h, w)
		default:
			return nil, fmt.Errorf("preprocess: mean image has shape %v, want C×H×W or C", m.Shape)
		}
	}
	if per == nil {
		return nil, nil
	}
	if len(per) != 1 && len(per) != c {
		return nil, fmt.Errorf("preprocess: %d mean values for %d channels", len(per), c)
	}
	out := make([]float32, c*h*w)
	for k := 0; k < c; k++ {
		v := per[0]
		if len(per) == c {
			v = per[k]
		}
		for i := k * h * w; i < (k+1)*h*w; i++ {
			out[i] = v
		}
	}
	return out, nil
}

// cropMean takes the centre h×w window of a C×H×W mean.
func cropMean(d []float32, s graph.Shape, c, h, w int) ([]float32, error) {
	mc, mh, mw := s[0], s[1], s[2]
	if mc != c {
		return nil, fmt.Errorf("preprocess: mean image has %d channels, the input %d", mc, c)
	}
	if mh < h || mw < w {
		return nil, fmt.Errorf("preprocess: mean image %dx%d is smaller than the %dx%d input; use per-channel mean values (e.g. the mean over H and W)", mh, mw, h, w)
	}
	y0, x0 := (mh-h)/2, (mw-w)/2
	out := make([]float32, 0, c*h*w)
	for k := 0; k < c; k++ {
		for y := y0; y < y0+h; y++ {
			row := (k*mh + y) * mw
			out = append(out, d[row+x0:row+x0+w]...)
		}
	}
	return out, nil
}
