// Package caffepb is the Go code generated from caffetool's caffe.proto (see
// package github.com/caffetool/caffetool/proto): NetParameter, LayerParameter,
// BlobProto and the rest of the Caffe schema.
//
// Parse a .prototxt with prototext.Unmarshal and a .caffemodel with
// proto.Unmarshal into a *NetParameter. Fields are proto2 optionals: read
// them through the generated getters, which apply the schema defaults.
//
// Do not edit caffe.pb.go; change caffe.proto and run go generate ./proto.
package caffepb
