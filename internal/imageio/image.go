package imageio

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registered decoders
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
)

// MaxPixels bounds the width×height of a decoded image, checked from the
// header before any pixel buffer is allocated.
var MaxPixels = 1 << 28

// Image is a decoded picture: Height×Width pixels of Channels interleaved
// samples (1 = gray, 3 = R, G, B) as stored in the file, each in
// [0, 2^Depth-1]. Alpha is dropped, as cv2.imread(IMREAD_COLOR) and
// caffe.io.load_image both do.
type Image struct {
	Width, Height int
	Channels      int
	Depth         int    // bits per sample: 8 or 16
	Format        string // "png", "jpeg", "gif"; "" when not decoded from a file
	Pix           []uint16
}

// Max is the largest sample value (255 or 65535).
func (m *Image) Max() float64 { return float64(uint32(1)<<m.Depth - 1) }

// Load decodes the JPEG, PNG or GIF file at path.
func Load(path string) (*Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	m, err := DecodeBytes(b)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", path, err)
	}
	return m, nil
}

// Decode reads one image from r.
func Decode(r io.Reader) (*Image, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return DecodeBytes(b)
}

// DecodeBytes decodes an encoded image held in memory.
func DecodeBytes(b []byte) (*Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("unrecognised or corrupt image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s image has size %dx%d", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(MaxPixels) {
		return nil, fmt.Errorf("%s image of %dx%d pixels exceeds the %d-pixel limit", format, cfg.Width, cfg.Height, MaxPixels)
	}
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", format, err)
	}
	out := FromImage(m)
	if out.Width <= 0 || out.Height <= 0 {
		// The header's size and the decoded bounds can disagree (e.g. a GIF
		// frame outside its canvas).
		return nil, fmt.Errorf("%s image decodes to size %dx%d", format, out.Width, out.Height)
	}
	out.Format = format
	return out, nil
}

// FromImage converts a Go image, keeping gray images single-channel and
// 16-bit samples at 16 bits. Straight (non-premultiplied) colour values
// are used, which is what the file stores.
func FromImage(m image.Image) *Image {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := &Image{Width: w, Height: h, Channels: 3, Depth: 8}
	switch m.(type) {
	case *image.Gray:
		out.Channels = 1
	case *image.Gray16:
		out.Channels, out.Depth = 1, 16
	case *image.RGBA64, *image.NRGBA64:
		out.Depth = 16
	}
	out.Pix = make([]uint16, w*h*out.Channels)
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch src := m.(type) {
			case *image.Gray:
				out.Pix[i] = uint16(src.GrayAt(x, y).Y)
			case *image.Gray16:
				out.Pix[i] = src.Gray16At(x, y).Y
			case *image.YCbCr:
				c := src.YCbCrAt(x, y)
				r, g, bb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint16(r), uint16(g), uint16(bb)
			case *image.RGBA:
				// Go decoders only produce RGBA for opaque pixels, where
				// premultiplied and straight values agree.
				c := src.RGBAAt(x, y)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint16(c.R), uint16(c.G), uint16(c.B)
			case *image.NRGBA:
				c := src.NRGBAAt(x, y)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint16(c.R), uint16(c.G), uint16(c.B)
			case *image.RGBA64:
				c := src.RGBA64At(x, y)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
			case *image.NRGBA64:
				c := src.NRGBA64At(x, y)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
			default: // paletted, CMYK, ...: straight 8-bit RGB
				c := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint16(c.R), uint16(c.G), uint16(c.B)
			}
			i += out.Channels
		}
	}
	return out
}
