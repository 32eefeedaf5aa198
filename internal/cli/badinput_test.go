package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

const convNet = `name: "t"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 4 kernel_size: 3 bias_term: false } }
`

// modelWithBlob encodes a NetParameter holding one layer "conv" with one
// blob of the given shape and n float values, by hand (field numbers from
// caffe.proto: NetParameter.layer 100, LayerParameter.name 1 / blobs 7,
// BlobProto.shape 7 / data 5, BlobShape.dim 1).
func modelWithBlob(shape []int64, n int) []byte {
	var dims []byte
	for _, d := range shape {
		dims = protowire.AppendVarint(dims, uint64(d))
	}
	var bs []byte
	bs = protowire.AppendTag(bs, 1, protowire.BytesType)
	bs = protowire.AppendBytes(bs, dims)
	var data []byte
	for i := 0; i < n; i++ {
		data = protowire.AppendFixed32(data, 0x3f800000)
	}
	var blob []byte
	blob = protowire.AppendTag(blob, 7, protowire.BytesType)
	blob = protowire.AppendBytes(blob, bs)
	blob = protowire.AppendTag(blob, 5, protowire.BytesType)
	blob = protowire.AppendBytes(blob, data)
	var layer []byte
	layer = protowire.AppendTag(layer, 1, protowire.BytesType)
	layer = protowire.AppendString(layer, "conv")
	layer = protowire.AppendTag(layer, 7, protowire.BytesType)
	layer = protowire.AppendBytes(layer, blob)
	var net []byte
	net = protowire.AppendTag(net, 100, protowire.BytesType)
	net = protowire.AppendBytes(net, layer)
	return net
}

// TestBadInputErrors: each bad input gives one error line that names the
// file and, where there is one, the layer and field; exit code 1; no panic.
func TestBadInputErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("net.prototxt", []byte(convNet))
	full := modelWithBlob([]int64{4, 3, 3, 3}, 108)
	cases := []struct {
		name string
		args []string
		want []string // substrings of the single stderr line
	}{
		{"truncated caffemodel", []string{"inspect", good, write("trunc.caffemodel", full[:len(full)-7])},
			[]string{"trunc.caffemodel", "truncated or corrupt caffemodel"}},
		{"syntax error", []string{"inspect", write("syntax.prototxt", []byte("name: \"x\"\nlayer {\n  name: \"a\" type: \"Input\"\n  input_param { shape { dim: 1 dim: } }\n}\n"))},
			[]string{"syntax.prototxt:4:", "expected a value"}},
		{"unknown bottom", []string{"inspect", write("bottom.prototxt", []byte(convNet+`layer { name: "relu" type: "ReLU" bottom: "nope" top: "relu" }`))},
			[]string{"bottom.prototxt", `layer "relu" (ReLU)`, "bottom[0]", `unknown bottom blob "nope"`}},
		{"blob data disagrees with shape", []string{"inspect", good, write("short.caffemodel", modelWithBlob([]int64{4, 3, 3, 3}, 10))},
			[]string{"short.caffemodel", `"conv"`, "10", "108"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(c.args, nil, &out, &errb)
			if code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			msg := errb.String()
			if strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Errorf("want one line, got:\n%s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}
