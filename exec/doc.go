// Package exec runs a graph.Graph forward on the CPU. Each Caffe layer type
// maps, through the one table in registry.go, to a factory that prepares a
// Layer once (weights checked and laid out, scratch sized) from the node
// and its inferred bottom shapes; Net drives the layers in file order.
package exec
