// Package npy reads and writes NumPy .npy files (format versions 1.0, 2.0
// and 3.0) as float32 graph.Tensors. Reading accepts bool, integer and
// float dtypes of either byte order and converts them to float32;
// Fortran-ordered arrays are transposed into C order. Writing always
// produces little-endian float32, version 1.0 when the header fits.
//
// Hostile input is bounded: the header length is capped, the element
// count must fit graph.MaxElements, and the data is only allocated once
// the bytes that back it are known to exist.
package npy
