#!/bin/sh
# Snapshot and clone creation: 1 GiB vs 1 TiB thin vdisks with the same 64 MiB written (ratio should be ~1.0), and
# the same for qemu-img (snapshot -c on qcow2, create -b for an overlay): bin/vdisk-bench snapshot [DIR] [ROUNDS]
# Engine times include the consistency point that makes the snapshot durable (fsyncs), as qemu's include theirs.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/run/bench-snapshot}
ROUNDS=${2:-15}
command -v qemu-img >/dev/null 2>&1 || (apt-get install -y qemu-utils >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y qemu-utils >/dev/null; })
[ -d "$root/bench/target/lib" ] && [ -f "$root/bench/target/classes/dev/vdisk/bench/SnapshotBench.class" ] || (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
cp="$root/bench/target/classes"
for j in "$root"/bench/target/lib/*.jar; do cp="$cp:$j"; done
rm -rf "$dir"; mkdir -p "$dir"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$cp" dev.vdisk.bench.SnapshotBench snapshot "$dir/pool" "$ROUNDS" \
  | awk '/^RESULT/ {print $2, $3}' > "$dir/engine.txt"

now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for size in 1G 1T; do
  img=$dir/q$size.qcow2
  qemu-img create -q -f qcow2 "$img" $size
  cmds=""; k=0
  while [ $k -lt 1024 ]; do cmds="$cmds -c \"write -q -P $((k % 200 + 1)) $((k * 1048576)) 65536\""; k=$((k + 1)); done
  eval qemu-io -f qcow2 $cmds "$img" >/dev/null
  r=0; : > "$dir/qs$size"; : > "$dir/qc$size"
  while [ $r -lt "$ROUNDS" ]; do
    qemu-io -f qcow2 -c "write -q -P 7 0 65536" "$img" >/dev/null
    t0=$(now_ms); qemu-img snapshot -c s$r "$img"; t1=$(now_ms)
    echo "$t1 - $t0" | bc >> "$dir/qs$size"
    t0=$(now_ms); qemu-img create -q -f qcow2 -b "$img" -F qcow2 "$dir/o$size-$r.qcow2"; t1=$(now_ms)
    echo "$t1 - $t0" | bc >> "$dir/qc$size"
    r=$((r + 1))
  done
  echo "qsnap-$size $(median < "$dir/qs$size")" >> "$dir/engine.txt"
  echo "qclone-$size $(median < "$dir/qc$size")" >> "$dir/engine.txt"
done
get() { awk -v k="$1" '$1 == k {print $2}' "$dir/engine.txt"; }
echo "snapshot/clone creation, median of $ROUNDS, ms; $(nproc) CPUs, $(df -P "$dir" | awk 'NR==2 {print $1}'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| operation | 1 GiB | 1 TiB | 1 TiB / 1 GiB |"
echo "|---|---:|---:|---:|"
row() { awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {printf "| %s | %.2f | %.2f | %.2f |\n", l, a, b, b / a}'; }
row "engine snapshot (incl. consistency point)" "$(get snapshot-g1)" "$(get snapshot-t1)"
row "engine clone (incl. consistency point)" "$(get clone-g1)" "$(get clone-t1)"
row "qemu-img snapshot -c (process incl.)" "$(get qsnap-1G)" "$(get qsnap-1T)"
row "qemu-img create -b (process incl.)" "$(get qclone-1G)" "$(get qclone-1T)"
[ "${KEEP-}" = 1 ] || rm -rf "$dir"
