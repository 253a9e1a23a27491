#!/bin/sh
# What a pool costs as it grows: bin/vdisk-bench scale [DIR] [SECONDS]
#   one vdisk of 1 GiB (4 GiB pool) and one of 10 TiB (thin, 1 TiB sparse pool), 1024 segments written spread over it,
#   then 1, 100 and 1000 snapshots (4 segments rewritten before each). Per row: heap used after GC; the median
#   consistency point after 16 random 4 KiB writes, once destaged (ms, CPU ms, KiB the process wrote meanwhile); 4 KiB
#   random-write IOPS in the first GiB for SECONDS (default 3; one thread, no flush); the pool's used space after it
#   (snapshots keep what each row's writes overwrote, so the small pool fills). The rows should be flat.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/run/bench-scale}
SECONDS_PER_ROW=${2:-3}
[ -d "$root/bench/target/lib" ] && [ -f "$root/bench/target/classes/dev/vdisk/bench/ScaleBench.class" ] || (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
cp="$root/bench/target/classes"
for j in "$root"/bench/target/lib/*.jar; do cp="$cp:$j"; done
rm -rf "$dir"; mkdir -p "$dir"
echo "pool scale; $(nproc) CPUs, $(df -P "$dir" | awk 'NR==2 {print $1}'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| volumes | pool | snapshots | heap after GC MiB | point ms (median) | point CPU ms | written per point KiB | 4K write IOPS | pool used % |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$cp" dev.vdisk.bench.ScaleBench "$dir" "$SECONDS_PER_ROW" \
  | awk '/^ROW/ {printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10}'
[ "${KEEP-}" = 1 ] || rm -rf "$dir"
