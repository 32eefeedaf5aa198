package imageio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/caffetool/caffetool/graph"
	"github.com/caffetool/caffetool/internal/npy"
)

// MeanDecoder parses a serialized caffe BlobProto (a .binaryproto mean
// file). Only package caffe may read Caffe's protobuf messages, so the CLI
// passes its decoder in (e.g. a thin wrapper over caffe's BlobProto
// reader); ReadMeanFile itself never touches protobuf.
type MeanDecoder func([]byte) (*graph.Tensor, error)

// ReadMeanFile loads a mean for Options.MeanImage: a .npy array (C×H×W,
// 1×C×H×W or C; pycaffe's ilsvrc_2012_mean.npy is 3×256×256 float64) or a
// .binaryproto BlobProto decoded by decode. A leading batch axis of 1 is
// dropped. The values are in the file's channel order (BGR for Caffe
// means).
func ReadMeanFile(path string, decode MeanDecoder) (*graph.Tensor, error) {
	var t *graph.Tensor
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		var err error
		if t, err = npy.Read(path); err != nil {
			return nil, err
		}
	case ".binaryproto":
		if decode == nil {
			return nil, fmt.Errorf("mean file %s: reading .binaryproto needs a BlobProto decoder", path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("mean file: %w", err)
		}
		if t, err = decode(b); err != nil {
			if strings.Contains(err.Error(), path) { // named by the decoder
				return nil, fmt.Errorf("mean file: %w", err)
			}
			return nil, fmt.Errorf("mean file %s: %w", path, err)
		}
		if t == nil {
			return nil, fmt.Errorf("mean file %s: decoder returned no blob", path)
		}
	default:
		return nil, fmt.Errorf("mean file %s: unknown extension %q (want .npy or .binaryproto)", path, ext)
	}
	if int64(len(t.Data)) != int64(t.Shape.Count()) {
		return nil, fmt.Errorf("mean file %s: shape %v does not match its %d values", path, t.Shape, len(t.Data))
	}
	if len(t.Shape) == 4 && t.Shape[0] == 1 {
		t = &graph.Tensor{Shape: t.Shape[1:].Clone(), Data: t.Data}
	}
	if len(t.Shape) != 1 && len(t.Shape) != 3 {
		return nil, fmt.Errorf("mean file %s: shape %v, want C×H×W, 1×C×H×W or C", path, t.Shape)
	}
	if len(t.Data) == 0 {
		return nil, fmt.Errorf("mean file %s: empty mean", path)
	}
	return t, nil
}

// ChannelMean averages a C×H×W mean over H and W (pycaffe's usual
// mean.mean(1).mean(1)), for inputs the full mean image does not fit.
func ChannelMean(t *graph.Tensor) ([]float32, error) {
	s := t.Shape
	if len(s) == 1 {
		return append([]float32(nil), t.Data...), nil
	}
	if len(s) != 3 || s.Count() != len(t.Data) || s[1]*s[2] == 0 {
		return nil, errors.New("channel mean: want a non-empty C×H×W tensor")
	}
	plane := s[1] * s[2]
	out := make([]float32, s[0])
	for k := range out {
		// Accumulate in float64, like NumPy's mean on a float64 file.
		var sum float64
		for y := 0; y < s[1]; y++ {
			var row float64
			for _, v := range t.Data[k*plane+y*s[2] : k*plane+(y+1)*s[2]] {
				row += float64(v)
			}
			sum += row / float64(s[2])
		}
		out[k] = float32(sum / float64(s[1]))
	}
	return out, nil
}
