#!/usr/bin/env bash
# End-to-end load benchmark: direct origin vs Rampart vs nginx, one run.
# Needs wrk and taskset (util-linux); nginx is measured when installed:
#   apt-get install -y wrk nginx
# Options (passed to the driver): --duration=5 (s per wrk run) --rounds=3
#   (interleaved; medians reported) --connections=64 --paced=10 (0: none)
#   --pages=13,1024 --modes=keep-alive,close --sources=1000000 (0: no memory
#   phase) --memory-only --client-core=0 --server-core=1
# Takes about 10 minutes with the defaults (each page ~3 min, 1M sources ~3 min).
# Output: a Markdown table on stdout and in bench/results/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in wrk taskset; do
  command -v "$tool" >/dev/null || { echo "bench/load: $tool is missing (hint: apt-get install -y wrk util-linux)" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then echo "bench/load: needs 2 cores (client and servers pinned apart)" >&2; exit 1; fi
# Rampart itself runs compiled (dist/): build it when src/ changed.
node scripts/build.js >/dev/null
exec node --import tsx bench/load/driver.ts "$@"
