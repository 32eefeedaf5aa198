// Package caffe connects Caffe's files to package graph. It is the only
// package that imports the generated protobuf bindings (proto/caffepb).
//
// It reads text (.prototxt) files with its own parser, which follows C++
// TextFormat (what Caffe uses) but reports located errors and, by default,
// skips fields of Caffe forks with a warning while keeping them for the
// decoders (ParseText, TextResult). It reads binary (.caffemodel,
// .binaryproto) files of any size (ReadBinary, DecodeNet) and converts blobs
// to float32 with Caffe's shape rules (BlobShape, BlobData,
// LegacyShapeMatches). On top of that it upgrades legacy V0/V1 nets as
// Caffe's upgrade_proto does, filters layers by phase and state, and decodes
// layers into graph ops with every default resolved.
package caffe
