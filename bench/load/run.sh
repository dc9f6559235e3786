#!/usr/bin/env bash
# End-to-end load benchmark: direct origin vs Rampart vs nginx, one run.
# Needs wrk and taskset (util-linux); nginx is measured when installed:
#   apt-get install -y wrk nginx
# Options (passed to the driver): --duration=5 (s per wrk run) --rounds=3
#   (interleaved; medians reported) --connections=50 --paced=10
#   --client-core=0 --server-core=1
# Output: a Markdown table on stdout and in bench/results/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in wrk taskset; do
  command -v "$tool" >/dev/null || { echo "bench/load: $tool is missing (hint: apt-get install -y wrk util-linux)" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then echo "bench/load: needs 2 cores (client and servers pinned apart)" >&2; exit 1; fi
exec node --import tsx bench/load/driver.ts "$@"
