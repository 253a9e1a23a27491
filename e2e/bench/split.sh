#!/bin/sh
# Clone split: a SIZE (default 4 GiB) vdisk fully written with random data, a snapshot, clones with PERCENT (default
# 1 %) of their 64 KiB segments rewritten; after three untimed warm-up SHARE splits of more such clones (the node agent
# is a long-running JVM: the timed splits run on a warm engine), time the engine's SHARE split (metadata only) and COPY
# split (data copied into the clone) until DONE, durable, against `qemu-img rebase -b ''` of the equivalent qcow2
# overlay (which copies the backing data into the overlay, like COPY); then the p99 of random 4 KiB reads of a third
# clone (one thread, back to back, SECONDS each) during a COPY split of it throttled to RATE (default 200M per
# second) over the same before and after it with no split: bin/vdisk-bench split [DIR] [SIZE] [PERCENT] [RATE] [SECONDS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/run/bench-split}
SIZE=${2:-4G}
PERCENT=${3:-1}
RATE=${4:-200M}
SECONDS_EACH=${5:-5}
command -v qemu-img >/dev/null 2>&1 || (apt-get install -y qemu-utils >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y qemu-utils >/dev/null; })
[ -d "$root/driver/target/lib" ] && [ -f "$root/driver/target/classes/dev/vdisk/cli/SplitBench.class" ] || (cd "$root" && ./mvnw -q -B -pl driver package -DskipTests)
cp="$root/driver/target/classes"
for j in "$root"/driver/target/lib/*.jar; do cp="$cp:$j"; done
rm -rf "$dir"; mkdir -p "$dir"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$cp" dev.vdisk.cli.SplitBench "$dir/pool" "$SIZE" "$PERCENT" "$RATE" "$SECONDS_EACH" \
  | tee "$dir/engine.log" | awk '/^RESULT/ {print $2, $3}' > "$dir/engine.txt"
rm -rf "$dir/pool"

now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }
bytes=$(echo "$SIZE" | awk '{n = $1 + 0; u = substr($1, length($1)); m = (u == "G") ? 2^30 : (u == "M") ? 2^20 : (u == "T") ? 2^40 : 1; printf "%d", n * m}')
head -c "$bytes" /dev/urandom > "$dir/base.raw"
qemu-img convert -q -f raw -O qcow2 -o cluster_size=65536 "$dir/base.raw" "$dir/base.qcow2"
rm -f "$dir/base.raw"
qemu-img create -q -f qcow2 -o cluster_size=65536 -b "$dir/base.qcow2" -F qcow2 "$dir/clone.qcow2"
segs=$((bytes / 65536)); n=$(awk -v s=$segs -v p=$PERCENT 'BEGIN {printf "%d", s * p / 100 + 0.5}')
cmds=$(awk -v s=$segs -v n=$n 'BEGIN {srand(1); for (i = 0; i < n; i++) printf "-c \"write -q -P %d %d 65536\" ", i % 200 + 1, int(rand() * s) * 65536}')
eval qemu-io -f qcow2 $cmds "$dir/clone.qcow2" >/dev/null
sync
t0=$(now_ms); qemu-img rebase -q -b '' "$dir/clone.qcow2"; sync; t1=$(now_ms)
echo "qrebase $(echo "$t1 - $t0" | bc)" >> "$dir/engine.txt"
get() { awk -v k="$1" '$1 == k {print $2}' "$dir/engine.txt"; }
echo "clone split of a $SIZE clone, $PERCENT % diverged, ms; $(nproc) CPUs, $(df -P "$dir" | awk 'NR==2 {print $1}'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| method | ms | MiB/s of clone | vs qemu-img rebase |"
echo "|---|---:|---:|---:|"
row() { awk -v l="$1" -v t="$2" -v q="$(get qrebase)" -v b="$bytes" 'BEGIN {printf "| %s | %.1f | %.0f | %.2fx |\n", l, t, b / 1048576 / (t / 1000), q / t}'; }
row "engine split SHARE ($(get split-share-filled) segments filled)" "$(get split-share-ms)"
row "engine split COPY ($(get split-copy-filled) segments filled)" "$(get split-copy-ms)"
row "qemu-img rebase -b '' (incl. sync)" "$(get qrebase)"
echo "(before them, untimed: three warm-up SHARE splits of other such clones took $(get split-warmup0-ms), $(get split-warmup1-ms) and $(get split-warmup2-ms) ms)"
echo
echo "foreground random 4 KiB reads of a clone (one thread), $SECONDS_EACH s with no split before and after, $SECONDS_EACH s during:"
echo "| while | reads | p50 us | p99 us | p999 us |"
echo "|---|---:|---:|---:|---:|"
for w in idle split; do
  awk -v w="$w" '$2 == "fg-read-" w {printf "| %s | %s | %s | %s | %s |\n", (w == "idle" ? "no split" : "COPY split at '"$RATE"'/s (" r ")"), $3, $6, $8, $10}' \
    r="$(awk '$2 == "fg-split-rate" {print $3 " MiB/s achieved"}' "$dir/engine.log")" "$dir/engine.log"
done
awk '$2 == "fg-read-idle" {i = $8} $2 == "fg-read-split" {s = $8} END {printf "p99 during split / p99 idle: %.2f\n", s / i}' "$dir/engine.log"
[ "${KEEP-}" = 1 ] || rm -rf "$dir"
