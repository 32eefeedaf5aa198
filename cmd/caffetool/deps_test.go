package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection keeps the layering: protobuf stops at package
// caffe, graph knows nothing of files or execution, exec nothing of files,
// and only the CLI uses cobra.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "github.com/caffetool/caffetool/...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	const mod = "github.com/caffetool/caffetool/"
	forbidden := map[string][]string{
		mod + "graph": {mod + "caffe", mod + "exec", mod + "proto", "google.golang.org/protobuf", "github.com/spf13/cobra"},
		mod + "exec":  {mod + "caffe", mod + "proto", "google.golang.org/protobuf", "github.com/spf13/cobra"},
		mod + "caffe": {mod + "exec", "github.com/spf13/cobra"},
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list listed only %d packages", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pkg, deps := f[0], f[1:]
		for prefix, bad := range forbidden {
			if pkg != prefix && !strings.HasPrefix(pkg, prefix+"/") {
				continue
			}
			for _, d := range deps {
				for _, b := range bad {
					if d == b || strings.HasPrefix(d, b+"/") {
						t.Errorf("%s depends on %s", pkg, d)
					}
				}
			}
		}
	}
}

// TestOnlyCaffeImportsCaffepb: the generated protobuf package is imported
// by package caffe alone (tests included), so nothing else handles
// protobuf types.
func TestOnlyCaffeImportsCaffepb(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}} {{join .TestImports \" \"}} {{join .XTestImports \" \"}}", "github.com/caffetool/caffetool/...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	const pb = "github.com/caffetool/caffetool/proto/caffepb"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		switch f[0] {
		case "github.com/caffetool/caffetool/caffe", pb, "github.com/caffetool/caffetool/proto":
			continue
		}
		for _, d := range f[1:] {
			if d == pb {
				t.Errorf("%s imports caffepb", f[0])
			}
		}
	}
}
