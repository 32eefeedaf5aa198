package caffe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caffetool/caffetool/graph"
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

// zooLoadFailures are the zoo nets that do not load, with the reason.
var zooLoadFailures = map[string]string{
	// No data layer in that phase: Caffe fails the same way.
	"mnist_lenet/mnist_autoencoder.prototxt TEST":                    `unknown bottom blob "data"`,
	"mobilenet_ssd/train.prototxt TEST":                              `unknown bottom blob "data"`,
	"mobilenet_ssd/voc_MobileNetSSD_test.prototxt TRAIN":             `unknown bottom blob "data"`,
	"yufacedetectnet_v2/yufacedetectnet-open-v2.train.prototxt TEST": `unknown bottom blob "data"`,
}

// zooUnknownOps counts layers of types caffetool does not model.
var zooUnknownOps = map[string]int{
	"enet/enet_deploy_final.prototxt":              3,  // BN (caffe-enet)
	"segnet/segnet_model_driving_webdemo.prototxt": 25, // BN (caffe-segnet)
	"segnet/segnet_basic_inference.prototxt":       9,  // BN, DenseImageData
	"mobilenet_ssd/voc_MobileNetSSD_test.prototxt": 1,  // DetectionEvaluate
}

// TestLoadZooNets loads every zoo net prototxt in both phases: all load
// (fork fields become warnings) except the known failures above.
func TestLoadZooNets(t *testing.T) {
	root := sharedRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "zoo", "*", "*.prototxt"))
	seen := 0
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(root, "zoo"), f)
		if strings.Contains(rel, "solver") || strings.HasSuffix(rel, "labelmap.prototxt") {
			continue
		}
		for _, phase := range []string{"TEST", "TRAIN"} {
			key := rel + " " + phase
			net, err := Load(f, "", LoadOptions{State: State{Phase: phase}})
			if want, ok := zooLoadFailures[key]; ok {
				seen++
				if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), f) {
					t.Errorf("%s: err = %v, want one naming the file and containing %q", key, err, want)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			unknown := 0
			for _, n := range net.Graph.Nodes {
				if _, ok := n.Op.(*graph.Unknown); ok {
					unknown++
				}
			}
			if unknown != zooUnknownOps[rel] && !(phase == "TRAIN" && rel == "mobilenet_ssd/voc_MobileNetSSD_test.prototxt") {
				t.Errorf("%s: %d layers of unknown type, want %d", key, unknown, zooUnknownOps[rel])
			}
		}
	}
	if seen != len(zooLoadFailures) {
		t.Errorf("only %d of the %d expected failures were seen", seen, len(zooLoadFailures))
	}
}
