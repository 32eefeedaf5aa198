package htmlreport

import "testing"

// layoutNets are zoo nets the layout must draw cleanly: deep (ResNet-152),
// wide (GoogLeNet's four-branch inception blocks) and detection heads with
// long edges (MobileNet-SSD).
var layoutNets = []string{
	"resnet/ResNet-152-deploy.prototxt",
	"bvlc_googlenet/deploy.prototxt",
	"mobilenet_ssd/deploy.prototxt",
}

func TestLayoutZoo(t *testing.T) {
	for _, rel := range layoutNets {
		t.Run(rel, func(t *testing.T) {
			net, _ := zooNet(t, rel)
			l := computeLayout(net.Graph)
			checkLayout(t, net.Graph, l)
			t.Logf("%d layers, %d nodes, %d ranks, %d crossings, %.0f×%.0f px",
				len(net.Graph.Nodes), len(l.boxes), len(l.ranks), l.crossings(), l.width, l.height)
		})
	}
}
