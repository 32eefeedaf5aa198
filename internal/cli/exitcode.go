package cli

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes, documented in README.md.
const (
	ExitOK       = 0
	ExitError    = 1 // bad input, unsupported model, I/O failure
	ExitUsage    = 2 // wrong flags or arguments
	ExitMismatch = 3 // verification found a difference beyond tolerance
)

// usageError marks a command-line mistake.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// MismatchError reports a verification failure (exit code 3).
type MismatchError struct{ Msg string }

func (e *MismatchError) Error() string { return e.Msg }

// exitCode maps an error to the process exit code and prints it as one line.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "caffetool: "+oneLine(err.Error()))
	var u *usageError
	var m *MismatchError
	switch {
	case errors.As(err, &u):
		return ExitUsage
	case errors.As(err, &m):
		return ExitMismatch
	}
	return ExitError
}

func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
