package caffe_test

import "github.com/caffetool/caffetool/graph"

func paramShapes(n *graph.Node) ([]graph.Shape, error) {
	return graph.ParamShapesOf(n)
}
