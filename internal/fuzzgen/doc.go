// Package fuzzgen turns fuzzer bytes into small graph.Graph nets: input
// shapes, layer types, layer parameters, fillers and wiring are all drawn
// from the bytes, so that `go test -fuzz` explores shape inference and the
// CPU kernels with nets no file in the repository describes. It is used by
// tests only (graph and exec fuzz targets).
//
// The values drawn stay mostly near the valid range (plus edge cases such
// as 0, negative and very large numbers when Wild is set), so the fuzzer
// spends its time past the first validity check.
package fuzzgen
