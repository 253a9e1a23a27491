#!/bin/sh
# Changed-block delta of a SIZE (4G) vdisk with PERCENT (1) % of its 64 KiB segments rewritten between two snapshots:
# engine delta(L, M) vs reading and comparing both snapshots in the engine, vs qemu-img on the same data as qcow2
# (base fully written, an overlay with the same changes): `qemu-img compare` (stops at the first difference, so it
# is also run on two identical images for the cost of a full comparison) and `qemu-img map` of the overlay (qcow2's
# own metadata delta). bin/vdisk-bench delta [DIR] [SIZE] [PERCENT]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/run/bench-delta}
SIZE=${2:-4G}
PCT=${3:-1}
command -v qemu-img >/dev/null 2>&1 || (apt-get install -y qemu-utils >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y qemu-utils >/dev/null; })
[ -f "$root/bench/target/classes/dev/vdisk/bench/SnapshotBench.class" ] && [ -d "$root/bench/target/lib" ] || (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
cp="$root/bench/target/classes"
for j in "$root"/bench/target/lib/*.jar; do cp="$cp:$j"; done
rm -rf "$dir"; mkdir -p "$dir"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$cp" dev.vdisk.bench.SnapshotBench delta "$dir/pool" "$SIZE" "$PCT" \
  | grep '^RESULT' > "$dir/engine.txt"
rm -rf "$dir/pool"

now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }
bytes=$(qemu-img create -q -f raw "$dir/probe" "$SIZE" && stat -c %s "$dir/probe"); rm -f "$dir/probe"
segs=$((bytes / 65536)); changed=$(awk -v s=$segs -v p=$PCT 'BEGIN {printf "%d", s * p / 100 + 0.5}')
head -c "$bytes" /dev/urandom > "$dir/base.raw"
qemu-img convert -q -f raw -O qcow2 "$dir/base.raw" "$dir/base.qcow2"; rm -f "$dir/base.raw"
qemu-img create -q -f qcow2 -b "$dir/base.qcow2" -F qcow2 "$dir/top.qcow2"
qemu-img create -q -f qcow2 -b "$dir/base.qcow2" -F qcow2 "$dir/same.qcow2"
awk -v n=$changed -v s=$segs 'BEGIN {srand(1); for (i = 0; i < n; i++) printf "-c \"write -q -P %d %.0f 65536\" ", i % 250 + 1, int(rand() * s) * 65536}' > "$dir/cmds"
eval qemu-io -f qcow2 $(cat "$dir/cmds") "$dir/top.qcow2" >/dev/null
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
t0=$(now_ms); qemu-img compare -q "$dir/base.qcow2" "$dir/top.qcow2" || true; t1=$(now_ms); qcmp=$(echo "$t1 - $t0" | bc)
t0=$(now_ms); qemu-img compare -q "$dir/base.qcow2" "$dir/same.qcow2" || true; t1=$(now_ms); qfull=$(echo "$t1 - $t0" | bc)
t0=$(now_ms); qemu-img map --output=json "$dir/top.qcow2" > "$dir/map.json"; t1=$(now_ms); qmap=$(echo "$t1 - $t0" | bc)
delta=$(awk '$2 == "delta" {print $3}' "$dir/engine.txt"); readboth=$(awk '$2 == "readboth" {print $3}' "$dir/engine.txt")
echo "delta of a $SIZE image, $PCT % of 64 KiB segments changed ($changed writes); $(nproc) CPUs, $(df -P "$dir" | awk 'NR==2 {print $1}'), $(date -u +%Y-%m-%dT%H:%MZ)"
grep '^RESULT' "$dir/engine.txt" | sed 's/^RESULT /  engine: /'
echo "| method | ms | vs engine delta |"
echo "|---|---:|---:|"
row() { awk -v l="$1" -v a="$2" -v d="$delta" 'BEGIN {printf "| %s | %.1f | %.1fx |\n", l, a, a / d}'; }
row "engine delta(L, M)" "$delta"
row "engine: read both snapshots and compare" "$readboth"
row "qemu-img compare base top (stops at 1st difference)" "$qcmp"
row "qemu-img compare of identical images (full scan)" "$qfull"
row "qemu-img map of the overlay (qcow2 metadata)" "$qmap"
[ "${KEEP-}" = 1 ] || rm -rf "$dir"
