// Package im2col lays convolution input windows out as matrix columns
// (Caffe's im2col) and scatters them back (col2im), for 2-D and N-D
// spatial shapes. The column matrix has one row per (channel, kernel
// offset) in that order and one column per output position; reads and
// writes outside the image are padding (zero on read, dropped on write).
package im2col
