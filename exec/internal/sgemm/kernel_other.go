//go:build !amd64 || purego

package sgemm

// available: without assembly only the pure-Go kernel exists.
func available() []*isa { return []*isa{genericISA} }
