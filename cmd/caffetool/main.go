// Command caffetool inspects, upgrades, runs and rewrites Caffe models.
package main

import (
	"os"

	"github.com/caffetool/caffetool/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
