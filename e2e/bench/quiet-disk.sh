#!/bin/sh
# Waits until the disk under DIR is quiet, so that a timed operation does not pay for the previous one's writeback or
# for the discards of deleted files (ext4 mounted with `discard`): `sync`, `fstrim` of DIR's file system (so the
# discards of whatever was deleted happen now, not during the next run), then wait until the I/O stall time in
# /proc/pressure/io ("some", the share of wall time some task waited for I/O) stays under QUIET_PCT (default 2) %
# for QUIET_SECONDS (default 2) consecutive 1 s windows, at most QUIET_TIMEOUT (default 120) s. Prints one line to
# stderr: how long it waited and the last window's stall. Not a benchmark itself: e2e/bench/split.sh uses it.
# usage: quiet-disk.sh DIR
set -eu
dir=${1:?usage: quiet-disk.sh DIR}
pct=${QUIET_PCT:-2}
need=${QUIET_SECONDS:-2}
timeout=${QUIET_TIMEOUT:-120}
start=$(date +%s)
sync
mnt=$(df -P "$dir" | awk 'NR == 2 {print $6}')
fstrim "$mnt" 2>/dev/null || true # not every file system or device supports it
stall_us() { awk '/^some/ {for (i = 1; i <= NF; i++) if ($i ~ /^total=/) {sub("total=", "", $i); print $i}}' /proc/pressure/io; }
quiet=0
last=-1
while :; do
  a=$(stall_us); sleep 1; b=$(stall_us)
  last=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", (b - a) / 1e4}') # us stalled in ~1 s, as %
  if awk -v l="$last" -v p="$pct" 'BEGIN {exit !(l < p)}'; then quiet=$((quiet + 1)); else quiet=0; fi
  waited=$(($(date +%s) - start))
  if [ "$quiet" -ge "$need" ]; then
    echo "quiet-disk: quiet after ${waited} s (io stall ${last} % in the last second)" >&2
    exit 0
  fi
  if [ "$waited" -ge "$timeout" ]; then
    echo "quiet-disk: NOT quiet after ${waited} s (io stall ${last} % in the last second); going on" >&2
    exit 0
  fi
done
