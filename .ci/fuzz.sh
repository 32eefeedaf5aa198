#!/usr/bin/env bash
# Runs every fuzz target briefly (FUZZTIME, default 5s each) so that a
# regression of a crasher fixed before, or an easy new one, surfaces in CI.
# `go test ./...` already replays each target's seeds and its
# testdata/fuzz corpus; this adds a few seconds of new inputs per target.
# A failure leaves the input in <package>/testdata/fuzz/<target>/ and
# exits non-zero. Longer local runs:
#   FUZZTIME=10m .ci/fuzz.sh            (all targets, one after another)
#   go test ./exec -run '^$' -fuzz '^FuzzForward$' -fuzztime 10m
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-5s}"
targets=(
  "./caffe FuzzPrototxt"
  "./caffe FuzzCaffemodel"
  "./caffe FuzzParseText"
  "./graph FuzzShapes"
  "./exec FuzzForward"
  "./internal/npy FuzzNpy"
  "./internal/npy FuzzDecode"
  "./internal/imageio FuzzImage"
)
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "fuzz: $pkg $name for $fuzztime"
  go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 10s -parallel "${FUZZPARALLEL:-1}" >/tmp/caffetool-fuzz.log 2>&1 || {
    cat /tmp/caffetool-fuzz.log
    echo "fuzz: $pkg $name failed; the input is in ${pkg#./}/testdata/fuzz/$name/"
    exit 1
  }
  tail -n 1 /tmp/caffetool-fuzz.log
done
