package caffe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zooPair is a zoo prototxt with the caffemodel trained for it.
type zooPair struct {
	net, weights string
	// shapes names the conformance shapes file with Caffe's param shapes
	// for the net ("" for fork nets that BVLC Caffe cannot load).
	shapes string
	// unused are the caffemodel layers with blobs the deploy net lacks.
	unused []string
}

var zooPairs = []zooPair{
	{"cifar10/cifar10_quick.prototxt", "cifar10_quick_v1weights/cifar10_quick_iter_5000.caffemodel", "cifar10__cifar10_quick", nil},
	{"mnist_lenet/lenet.prototxt", "mnist_lenet/lenet_iter_10000.caffemodel", "mnist_lenet__lenet", nil},
	{"mtcnn/det1.prototxt", "mtcnn/det1.caffemodel", "mtcnn__det1", nil},
	{"mtcnn/det2.prototxt", "mtcnn/det2.caffemodel", "mtcnn__det2", []string{"conv5-3"}},
	{"mtcnn/det3.prototxt", "mtcnn/det3.caffemodel", "mtcnn__det3", nil},
	{"mtcnn/det4.prototxt", "mtcnn/det4.caffemodel", "mtcnn__det4", nil},
	{"ultraface_rfb320/RFB-320.prototxt", "ultraface_rfb320/RFB-320.caffemodel", "", nil},
	{"wechat_qrcode/detect.prototxt", "wechat_qrcode/detect.caffemodel", "", nil},
	{"wechat_qrcode/sr.prototxt", "wechat_qrcode/sr.caffemodel", "wechat_qrcode__sr", nil},
	{"yufacedetectnet_v2/yufacedetectnet-open-v2.prototxt", "yufacedetectnet_v2/yufacedetectnet-open-v2.caffemodel", "", nil},
	{"face_landmark_vanface/landmark_deploy.prototxt", "face_landmark_vanface/VanFace.caffemodel", "face_landmark_vanface__landmark_deploy", nil},
}

// TestLoadZooWeights loads real trained caffemodels into their prototxts:
// every parameter must be found with the shape the net expects (V1 and
// legacy-dims files included), values as stored.
func TestLoadZooWeights(t *testing.T) {
	root := sharedRoot(t)
	zoo := filepath.Join(root, "zoo")
	for _, p := range zooPairs {
		t.Run(strings.TrimSuffix(filepath.Base(p.net), ".prototxt"), func(t *testing.T) {
			weights := filepath.Join(zoo, p.weights)
			net, err := Load(filepath.Join(zoo, p.net), weights, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range net.Warnings {
				t.Logf("warning: %s", w)
			}
			rep := net.Report
			if len(rep.Mismatch)+len(rep.Missing)+len(rep.Unchecked) != 0 {
				t.Errorf("report %+v, want no mismatch, missing or unchecked layers", *rep)
			}
			if strings.Join(rep.Unused, ",") != strings.Join(p.unused, ",") {
				t.Errorf("Unused = %q, want %q", rep.Unused, p.unused)
			}
			checkUnused(t, net.Graph, weights, rep.Unused)
			loaded := 0
			for _, n := range net.Graph.Nodes {
				for j, prm := range n.Params {
					if prm == nil {
						t.Errorf("%s param %d not loaded", n.Name, j)
					}
					loaded++
				}
			}
			if loaded == 0 {
				t.Fatal("no parameters loaded")
			}
			checkValues(t, net.Graph, weights)
			if p.shapes != "" {
				var s shapesFile
				readJSON(t, filepath.Join(root, "conformance", "shapes", p.shapes+".json"), &s)
				checkParams(t, net.Graph, s.Params)
			}
		})
	}
}

// The V1 cifar10 caffemodel (legacy 4-D dims) and Caffe's upgraded copy
// of it (still legacy dims) load to identical parameters.
func TestLoadUpgradedCaffemodelSame(t *testing.T) {
	root := sharedRoot(t)
	proto := filepath.Join(root, "zoo", "cifar10", "cifar10_quick.prototxt")
	a, err := Load(proto, filepath.Join(root, "zoo", "cifar10_quick_v1weights", "cifar10_quick_iter_5000.caffemodel"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(proto, filepath.Join(root, "conformance", "upgrade", "cifar10_quick_iter_5000.upgraded.caffemodel"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range a.Graph.Nodes {
		m := b.Graph.Nodes[i]
		if len(n.Params) != len(m.Params) {
			t.Fatalf("%s: %d vs %d params", n.Name, len(n.Params), len(m.Params))
		}
		for j := range n.Params {
			if !n.Params[j].Shape.Equal(m.Params[j].Shape) || len(n.Params[j].Data) != len(m.Params[j].Data) {
				t.Fatalf("%s param %d differs", n.Name, j)
			}
			for k := range n.Params[j].Data {
				if n.Params[j].Data[k] != m.Params[j].Data[k] {
					t.Fatalf("%s param %d value %d differs", n.Name, j, k)
				}
			}
		}
	}
	if _, err := os.Stat(proto); err != nil {
		t.Fatal(err)
	}
}
