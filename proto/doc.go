// Package proto holds caffetool's Caffe schema, caffe.proto, and the recipe
// that turns it into Go code in package caffepb.
//
// caffe.proto is our own text, wire- and text-compatible with BVLC Caffe's
// schema (plus a few fork fields, listed at the top of the file). The
// generated caffepb/caffe.pb.go is committed, so building and testing need no
// protoc. After editing caffe.proto, regenerate with
//
//	go generate ./proto
//
// which needs protoc on PATH (Debian: apt-get install protobuf-compiler) and
// builds protoc-gen-go from the google.golang.org/protobuf version in go.mod.
// TestGeneratedCodeIsFresh fails when the committed file is stale.
package proto
