#!/bin/sh
# Regenerates caffepb/caffe.pb.go from caffe.proto.
#
# Usage: sh gen.sh [OUTDIR]   (run from this directory; `go generate` does)
#
# protoc-gen-go is built from the google.golang.org/protobuf version pinned in
# go.mod, so the generated code always matches the runtime it links against.
# protoc itself comes from the system (Debian: apt-get install protobuf-compiler).
# With OUTDIR the result is written to OUTDIR/caffepb/caffe.pb.go instead of
# ./caffepb (the freshness test uses this).
set -eu

out=${1:-.}

command -v protoc >/dev/null 2>&1 || {
	echo "gen.sh: protoc not found on PATH (apt-get install protobuf-compiler)" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go

mkdir -p "$out"
protoc -I. \
	--plugin=protoc-gen-go="$tmp/protoc-gen-go" \
	--go_out="$out" \
	--go_opt=module=github.com/caffetool/caffetool/proto \
	--go_opt='Mcaffe.proto=github.com/caffetool/caffetool/proto/caffepb;caffepb' \
	caffe.proto
