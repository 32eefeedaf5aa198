package caffepb_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/caffetool/caffetool/proto/caffepb"
)

// sharedDir returns the shared reference material (the zoo and Caffe's
// conformance data), or skips the test when CAFFETOOL_SHARED is not set.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CAFFETOOL_SHARED")
	if dir == "" {
		t.Skip("CAFFETOOL_SHARED not set (path to the shared zoo/conformance directory); skipping")
	}
	if _, err := os.Stat(filepath.Join(dir, "zoo")); err != nil {
		t.Fatalf("CAFFETOOL_SHARED=%s: %v", dir, err)
	}
	return dir
}

// forkOnly lists the zoo prototxts that use fork fields caffe.proto
// deliberately leaves out, with the first such field the strict parser
// meets. They must fail strict parsing for exactly that reason and must parse
// once unknown fields are discarded.
var forkOnly = map[string]string{
	// SSD training/test nets: data augmentation (TransformationParameter
	// resize_param/distort_param/...), AnnotatedData, MultiBoxLoss and
	// DetectionEvaluate are training-side SSD fields.
	"zoo/mobilenet_ssd/train.prototxt":                              "resize_param",
	"zoo/mobilenet_ssd/voc_MobileNetSSD_test.prototxt":              "resize_param",
	"zoo/yufacedetectnet_v2/yufacedetectnet-open-v2.train.prototxt": "resize_param",
	// detection_output_param { clip: 1 } is not in the SSD fork's
	// DetectionOutputParameter (OpenCV's text parser ignores unknown fields).
	"zoo/opencv_face_detector/deploy.prototxt": "clip",
	// pooling_param { ceil_mode } (fork extension).
	"zoo/densenet/DenseNet_121.prototxt":              "ceil_mode",
	"zoo/soeaver_cls/deploy_resnet18-priv.prototxt":   "ceil_mode",
	"zoo/soeaver_cls/deploy_resnext50-32x4d.prototxt": "ceil_mode",
	// caffe-enet / caffe-segnet BN layer and DenseImageData.
	"zoo/enet/enet_deploy_final.prototxt":              "bn_param",
	"zoo/segnet/segnet_model_driving_webdemo.prototxt": "bn_param",
	"zoo/segnet/segnet_basic_inference.prototxt":       "dense_image_data_param",
}

// notNet lists prototxts that are not NetParameter/SolverParameter files.
var notNet = map[string]bool{
	"zoo/mobilenet_ssd/labelmap.prototxt": true, // SSD LabelMap
}

// mustParseStrict are the files the brief names explicitly; the walk below
// covers them too, this list only guards against them silently vanishing.
var mustParseStrict = []string{
	"zoo/bvlc_googlenet/train_val.prototxt",
	"zoo/resnet/*.prototxt",
	"zoo/legacy_v0/*",
	"zoo/legacy_v1_layers/*",
	"conformance/upgrade/*.prototxt",
	"zoo/mobilenet_ssd/deploy.prototxt",
	"zoo/mobilenet_ssd/voc_MobileNetSSD_deploy_bn_merged.prototxt",
}

// TestSharedPrototxt parses every .prototxt under zoo/ and conformance/ with
// prototext.Unmarshal: strictly (unknown fields are errors), except for the
// documented fork-only files in forkOnly.
func TestSharedPrototxt(t *testing.T) {
	root := sharedDir(t)

	for _, pattern := range mustParseStrict {
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
		if err != nil {
			t.Fatal(err)
		}
		if len(matches) == 0 {
			t.Errorf("%s: no files found", pattern)
		}
		for _, m := range matches {
			rel := relSlash(t, root, m)
			if _, ok := forkOnly[rel]; ok || notNet[rel] {
				t.Errorf("%s must parse strictly but is listed as an exception", rel)
			}
		}
	}

	seen := map[string]bool{}
	for _, top := range []string{"zoo", "conformance"} {
		for _, path := range walk(t, filepath.Join(root, top), ".prototxt") {
			rel := relSlash(t, root, path)
			seen[rel] = true
			if notNet[rel] {
				continue
			}
			t.Run(rel, func(t *testing.T) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				var msg proto.Message = &caffepb.NetParameter{}
				if strings.Contains(filepath.Base(rel), "solver") {
					msg = &caffepb.SolverParameter{}
				}

				err = prototext.Unmarshal(data, msg)
				field, fork := forkOnly[rel]
				switch {
				case !fork && err != nil:
					t.Fatalf("strict parse: %v", err)
				case fork && err == nil:
					t.Fatalf("parses strictly now; remove it from forkOnly")
				case fork && !strings.Contains(err.Error(), "unknown field: "+field):
					t.Fatalf("strict parse failed for another reason than fork field %q: %v", field, err)
				case fork:
					proto.Reset(msg)
					if err := (prototext.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, msg); err != nil {
						t.Fatalf("parse with DiscardUnknown: %v", err)
					}
				}

				if net, ok := msg.(*caffepb.NetParameter); ok && len(net.GetLayer())+len(net.GetLayers()) == 0 {
					t.Errorf("no layers decoded")
				}
			})
		}
	}

	for rel := range forkOnly {
		if !seen[rel] {
			t.Errorf("forkOnly lists %s, which does not exist", rel)
		}
	}
}

// TestSharedCaffemodel decodes every .caffemodel under zoo/ and conformance/
// with proto.Unmarshal. Fork-only fields become unknown fields, which
// proto.Unmarshal keeps without error.
func TestSharedCaffemodel(t *testing.T) {
	root := sharedDir(t)
	n := 0
	for _, top := range []string{"zoo", "conformance"} {
		for _, path := range walk(t, filepath.Join(root, top), ".caffemodel") {
			n++
			rel := relSlash(t, root, path)
			t.Run(rel, func(t *testing.T) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				var net caffepb.NetParameter
				if err := proto.Unmarshal(data, &net); err != nil {
					t.Fatalf("proto.Unmarshal: %v", err)
				}
				blobs := 0
				for _, l := range net.GetLayer() {
					blobs += len(l.GetBlobs())
				}
				for _, l := range net.GetLayers() {
					blobs += len(l.GetBlobs())
				}
				if blobs == 0 && strings.HasPrefix(rel, "zoo/") {
					t.Errorf("no parameter blobs decoded")
				}
				// Files written by BVLC Caffe itself use no field we lack.
				if writtenByCaffe(t, path) {
					if where := findUnknown(net.ProtoReflect(), "NetParameter"); where != "" {
						t.Errorf("unknown field data in %s", where)
					}
				} else if where := findUnknown(net.ProtoReflect(), "NetParameter"); where != "" {
					t.Logf("fork fields kept as unknown, first in %s", where)
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("no .caffemodel files found")
	}
}

// TestSharedBinaryproto decodes the mean files as BlobProto; the deliberately
// truncated one under zoo/negative must be rejected.
func TestSharedBinaryproto(t *testing.T) {
	root := sharedDir(t)
	for _, path := range walk(t, filepath.Join(root, "zoo"), ".binaryproto") {
		rel := relSlash(t, root, path)
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var blob caffepb.BlobProto
			err = proto.Unmarshal(data, &blob)
			if strings.HasPrefix(rel, "zoo/negative/") {
				if err == nil {
					t.Fatal("truncated file decoded without error")
				}
				return
			}
			if err != nil {
				t.Fatalf("proto.Unmarshal: %v", err)
			}
			if len(blob.GetData()) == 0 {
				t.Error("no data decoded")
			}
		})
	}
}

// writtenByCaffe reports whether a conformance caffemodel was saved by BVLC
// Caffe (net.save). A case whose case.json names a "source" for
// weights.caffemodel holds a verbatim zoo file instead.
func writtenByCaffe(t *testing.T, path string) bool {
	t.Helper()
	if !strings.Contains(filepath.ToSlash(path), "/conformance/") {
		return false
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(path), "case.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return true // e.g. conformance/upgrade: output of upgrade_net_proto_binary
	}
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Source map[string]string `json:"source"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("case.json: %v", err)
	}
	_, copied := c.Source[filepath.Base(path)]
	return !copied
}

// findUnknown returns the path of the first message holding unknown fields,
// or "" if there is none.
func findUnknown(m protoreflect.Message, path string) string {
	if len(m.GetUnknown()) > 0 {
		return path
	}
	where := ""
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		sub := path + "." + string(fd.Name())
		if fd.IsList() {
			for i := 0; i < v.List().Len() && where == ""; i++ {
				where = findUnknown(v.List().Get(i).Message(), fmt.Sprintf("%s[%d]", sub, i))
			}
		} else {
			where = findUnknown(v.Message(), sub)
		}
		return where == ""
	})
	return where
}

func walk(t *testing.T, dir, ext string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ext) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func relSlash(t *testing.T, root, path string) string {
	t.Helper()
	rel, err := filepath.Rel(root, path)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}
