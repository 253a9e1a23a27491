#!/bin/sh
# What a pool costs as it grows: bin/vdisk-bench scale [DIR] [WRITES] (MAP_CACHE=64M: the map node cache's size)
#   one vdisk of 1 GiB (2 GiB pool) and one of 10 TiB (thin, 1 TiB sparse pool), 1024 segments written spread over
#   it, then 1, 100 and 1000 snapshots (4 segments rewritten before each). Per row: the median consistency point after
#   16 random 4 KiB writes, once destaged (ms, CPU ms, KiB the process wrote meanwhile); the IOPS of WRITES (default
#   4096) random 4 KiB writes in the first 32 MiB (one thread, no flush: a fixed count in a small region, so that what
#   the snapshots keep is the same on any machine and 1000 snapshots fit the 2 GiB pool); heap used after GC with the
#   map cache in place, and the blocks the cache holds; the pool's used space. The rows should be flat.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/run/bench-scale}
WRITES=${2:-4096}
[ -d "$root/bench/target/lib" ] && [ -f "$root/bench/target/classes/dev/vdisk/bench/ScaleBench.class" ] || (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
cp="$root/bench/target/classes"
for j in "$root"/bench/target/lib/*.jar; do cp="$cp:$j"; done
rm -rf "$dir"; mkdir -p "$dir"
echo "pool scale; $(nproc) CPUs, $(df -P "$dir" | awk 'NR==2 {print $1}'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| volumes | pool | snapshots | heap after GC MiB | of it map cache MiB | point ms (median) | point CPU ms | written per point KiB | 4K write IOPS | pool used % |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -Dbench.mapCache="${MAP_CACHE:-64M}" -cp "$cp" \
  dev.vdisk.bench.ScaleBench "$dir" "$WRITES" \
  | awk '/^ROW/ {printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}'
[ "${KEEP-}" = 1 ] || rm -rf "$dir"
