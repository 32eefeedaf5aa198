#!/usr/bin/env bash
# Peak memory of every hostile case: builds caffetool, runs each case's
# command (from <case>.args) in a scratch copy of this folder under
# /usr/bin/time -v, prints the maximum resident set size per case, and
# fails when any case exceeds the limit (default 200 MB; first argument in
# MB overrides it). Opt-in: not part of `go test ./...`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
limit_mb="${1:-200}"
[ -x /usr/bin/time ] || { echo "rss.sh: /usr/bin/time (GNU time) is needed" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$here/../.." && go build -o "$work/caffetool" ./cmd/caffetool)
mkdir "$work/cases"
cp "$here"/* "$work/cases/"
cd "$work/cases"
max=0 maxcase="" fail=0
for a in *.args; do
  c="${a%.args}"
  read -r -a args < "$a"
  /usr/bin/time -v -o "$work/time.txt" "$work/caffetool" "${args[@]}" >/dev/null 2>"$work/stderr.txt" || true
  kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$work/time.txt")
  printf '%-28s %8d KB\n' "$c" "$kb"
  if [ "$kb" -gt "$max" ]; then max=$kb maxcase=$c; fi
  if [ "$kb" -gt $((limit_mb * 1024)) ]; then echo "  over ${limit_mb} MB" >&2; fail=1; fi
done
echo "max: $maxcase $max KB (limit ${limit_mb} MB)"
exit $fail
