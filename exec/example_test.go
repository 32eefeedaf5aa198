package exec_test

import (
	"fmt"
	"log"

	"github.com/caffetool/caffetool/caffe"
	"github.com/caffetool/caffetool/exec"
	"github.com/caffetool/caffetool/graph"
)

// Load a net, give it parameters from its fillers, and classify one input.
func Example() {
	net, err := caffe.Load("../testdata/example/tinynet.prototxt", "", caffe.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	g := net.Graph
	// Shapes first: the fillers need the parameter shapes, and Compile
	// sizes its buffers from them.
	if err := g.InferShapes(nil); err != nil {
		log.Fatal(err)
	}
	// Without a caffemodel, fill the parameters as Caffe's SetUp would
	// (seeded, so the output is reproducible).
	if _, err := exec.InitParams(g, 1, false); err != nil {
		log.Fatal(err)
	}
	x, err := exec.Compile(g, exec.Options{})
	if err != nil {
		log.Fatal(err)
	}

	in := graph.NewTensor(graph.Shape{1, 3, 32, 32})
	for i := range in.Data {
		in.Data[i] = 0.5
	}
	if err := x.Forward(map[string]*graph.Tensor{"data": in}); err != nil {
		log.Fatal(err)
	}

	prob := x.Blob("prob")
	best := 0
	for i, p := range prob.Data {
		if p > prob.Data[best] {
			best = i
		}
	}
	fmt.Println("inputs:", x.Inputs()[0].Blob, x.Inputs()[0].Shape)
	fmt.Println("output:", x.Outputs()[0].Blob, prob.Shape)
	// conv1 is rewritten in place by BatchNorm, Scale and ReLU: the graph
	// has one value per version (exec.Options{KeepAll: true} keeps each
	// version's tensor readable after Forward).
	fmt.Println("conv1 versions:", g.Blob("conv1").Version+1)
	fmt.Printf("top class: %d (p = %.2f)\n", best, prob.Data[best])
	// Output:
	// inputs: data 1x3x32x32
	// output: prob 1x10
	// conv1 versions: 4
	// top class: 5 (p = 0.69)
}
