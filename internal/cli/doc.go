// Package cli implements the caffetool command line: one file per command,
// each an options struct filled by cobra and a run function over the
// library that writes to injected streams. Errors become exit codes in
// exitcode.go and nowhere else.
package cli
