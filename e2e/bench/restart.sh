#!/bin/sh
# I/O pause of a node plugin restart with the descriptor holder (issue 17): bin/vdisk-bench restart [ROUNDS]
# RestartPauseBench (e2e test sources, run through failsafe): a holder and a node process, an ext4 and a block
# volume staged, an O_DIRECT+fdatasync writer on each; ROUNDS restarts (default 20) alternating SIGTERM and
# SIGKILL. The pause of a restart is the writers' longest operation around it; its peer, measured in the same run
# just before each restart, is the writers' longest operation in a window as long without a restart.
# Needs root, /dev/fuse, loop devices and Linux 6.9+; builds what it needs (offline after the first build).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-20}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd "$root"
./mvnw -q -B -o -pl e2e -am install -DskipTests >/dev/null
if ! ./mvnw -B -o -pl e2e verify -Dit.test=RestartPauseBench -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfailsafe.failIfNoSpecifiedTests=false -Dvdisk.bench.restarts="$ROUNDS" >"$log" 2>&1; then
  grep -E 'RESULT|REPORT|FAIL|expected' "$log" >&2 || tail -50 "$log" >&2
  echo "restart: the run failed (above)" >&2
  exit 1
fi
grep '^REPORT' "$log" | sed 's/^REPORT /writer /'
echo "restart pauses over $ROUNDS restarts, ms; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| restart | n | min | median | p90 | max | peer median (no restart) | median / peer | stop + start (median) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
# column N of the RESULT lines of one kind (or all), sorted
col() { grep '^RESULT' "$log" | awk -v k="$1" -v c="$2" '$2 == k || k == "all" {print $c}' | sort -n; }
# min median p90 max of sorted numbers on stdin
stats() { awk '{a[NR] = $1} END {if (NR) print a[1], a[int((NR + 1) / 2)], a[int(NR * 0.9 + 0.999)], a[NR], NR}'; }
for kind in SIGTERM SIGKILL all; do
  set -- $(col $kind 3 | stats) $(col $kind 4 | stats) $(col $kind 5 | stats)
  [ $# -eq 15 ] || continue
  awk -v k="$kind" -v n="$5" -v mn="$1" -v md="$2" -v p9="$3" -v mx="$4" -v peer="$7" -v st="$12" 'BEGIN {
    printf "| %s | %d | %d | %d | %d | %d | %d | %.1f | %d |\n", k, n, mn, md, p9, mx, peer, md / (peer > 0 ? peer : 1), st }'
done
