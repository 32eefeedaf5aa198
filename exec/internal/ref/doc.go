// Package ref holds naive direct-loop convolution, deconvolution and
// pooling, written from the definitions and independently of the fast
// kernels. They exist only as test oracles: slow, float64 accumulation.
package ref
