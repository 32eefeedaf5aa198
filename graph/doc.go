// Package graph is caffetool's format-independent view of a Caffe network:
// typed layer ops with every Caffe default already resolved, blobs as
// versioned values (so each step of an in-place chain is addressable),
// pure shape inference with Caffe's rounding rules, validation, cost
// accounting and rewrite passes.
//
// Nothing in this package knows about protobuf; package caffe builds graphs
// from files and package exec runs them.
package graph
