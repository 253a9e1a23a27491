#!/bin/sh
# What the map cache's size costs: bin/vdisk-bench map-cache [DIR]
#   4 KiB scattered writes (fresh, then overwrites) and reads at queue depth 16 over a 64 GiB vdisk at 64 KiB segments:
#   256 level-1 blocks of 64 KiB, 16 MiB of map. Once with a cache that holds it all (LARGE), once with one that holds
#   1/16 of it (SMALL); each request lands in another level-1 block than the one before (step ~ 400 MiB), so with SMALL
#   nearly every request reads (and CRC-checks) a block. Prints IOPS and the ratio SMALL/LARGE.
# Env: SPAN (64G), COUNT (20000), DEPTH (16), SMALL (1M), LARGE (64M), KEEP=1 keeps the data.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/run/bench-map-cache}
SPAN=${SPAN:-64G}
COUNT=${COUNT:-20000}
DEPTH=${DEPTH:-16}
SMALL=${SMALL:-1M}
LARGE=${LARGE:-64M}
STEP=$((4096 * 104729))

if [ ! -d "$root/bench/target/lib" ] || [ ! -f "$root/bench/target/classes/dev/vdisk/bench/EngineBench.class" ]; then
  (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
fi
cp="$root/bench/target/classes"
for j in "$root"/bench/target/lib/*.jar; do cp="$cp:$j"; done

engine() { # cache name write|read [create] -> "count secs bytes"
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx512m -Dbench.mapCache="$1" -Dbench.pool=32G \
    -cp "$cp" dev.vdisk.bench.EngineBench "$dir/pool-$1" "$2" "$3" "$SPAN" 4K "$STEP" "$COUNT" "$DEPTH" 0 "${4-}" \
    | awk '/^RESULT/ {print $3, $4, $5}'
}
row() { # label "count secs bytes" (large) "count secs bytes" (small)
  echo "$1|$2|$3" | awk -F'|' '{
    split($2, l, " "); split($3, s, " "); li = l[1] / l[2]; si = s[1] / s[2];
    printf "| %-32s | %10.0f | %10.0f | %5.2f |\n", $1, li, si, si / li }'
}

rm -rf "$dir"; mkdir -p "$dir"
echo "map cache $LARGE vs $SMALL, 16 MiB of map, on $(df -P "$dir" | awk 'NR==2 {print $1}'), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| workload (QD$DEPTH, $SPAN vdisk)        | $LARGE IOPS | $SMALL IOPS | ratio |"
echo "|---|---:|---:|---:|"
l=$(engine "$LARGE" v write create); s=$(engine "$SMALL" v write create)
row "4K rand write, fresh" "$l" "$s"
l=$(engine "$LARGE" v write); s=$(engine "$SMALL" v write)
row "4K rand overwrite" "$l" "$s"
l=$(engine "$LARGE" v read); s=$(engine "$SMALL" v read)
row "4K rand read" "$l" "$s"
[ "${KEEP-}" = 1 ] || rm -rf "$dir"
