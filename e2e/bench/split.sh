#!/bin/sh
# Clone split: a SIZE (default 4 GiB) vdisk fully written with random data, a snapshot, clones with PERCENT (default
# 1 %) of their 64 KiB segments rewritten; after three untimed warm-up SHARE splits of more such clones (the node agent
# is a long-running JVM: the timed splits run on a warm engine), time the engine's SHARE split (metadata only) and COPY
# split (data copied into the clone) until DONE, durable, against `qemu-img rebase -b ''` of the equivalent qcow2
# overlay (which copies the backing data into the overlay, like COPY); then the p99 of random 4 KiB reads of a third
# clone (one thread, back to back, SECONDS each) during a COPY split of it throttled to RATE (default 200M per
# second) over the same before and after it with no split: bin/vdisk-bench split [DIR] [SIZE] [PERCENT] [RATE] [SECONDS]
# COPY and qemu-img run REPEAT (env, default 3) times each, in pairs whose order alternates, each after
# quiet-disk.sh (sync, fstrim, I/O pressure settled: ext4 here discards deleted files, which slowed whatever ran
# next); the table gives every pair's ratio and the medians. KEEP=1 keeps DIR. QEMU_CACHE (default writeback, qemu-img's
# default) is the overlay's cache mode: none writes it with O_DIRECT, the peer of a COPY that keeps no copies cached.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/run/bench-split}
SIZE=${2:-4G}
PERCENT=${3:-1}
RATE=${4:-200M}
SECONDS_EACH=${5:-5}
REPEAT=${REPEAT:-3}
QEMU_CACHE=${QEMU_CACHE:-writeback} # qemu-img rebase -t: the overlay's cache mode (none: O_DIRECT, no page cache)
command -v qemu-img >/dev/null 2>&1 || (apt-get install -y qemu-utils >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y qemu-utils >/dev/null; })
# always build: classes left by an older checkout would run the old bench (Maven skips what is up to date)
(cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
cp="$root/bench/target/classes"
for j in "$root"/bench/target/lib/*.jar; do cp="$cp:$j"; done
rm -rf "$dir"; mkdir -p "$dir"
bytes=$(echo "$SIZE" | awk '{n = $1 + 0; u = substr($1, length($1)); m = (u == "G") ? 2^30 : (u == "M") ? 2^20 : (u == "T") ? 2^40 : 1; printf "%.0f", n * m}')

# the peer: one qcow2 overlay per round, flattened by peer.sh ROUND (timed with a sync after it, then deleted)
head -c "$bytes" /dev/urandom > "$dir/base.raw"
qemu-img convert -q -f raw -O qcow2 -o cluster_size=65536 "$dir/base.raw" "$dir/base.qcow2"
rm -f "$dir/base.raw"
# mawk's printf %d stops at 2^31 - 1: until 2026-12-06 this file made a 2 GiB qemu image for SIZE=4G
vs=$(qemu-img info "$dir/base.qcow2" | awk '/^virtual size/ {gsub(/[(]/, "", $5); print $5}')
[ "$vs" = "$bytes" ] || { echo "split.sh: qemu image of $vs bytes, expected $bytes" >&2; exit 1; }
segs=$((bytes / 65536)); n=$(awk -v s=$segs -v p=$PERCENT 'BEGIN {printf "%d", s * p / 100 + 0.5}')
cmds=$(awk -v s=$segs -v n=$n 'BEGIN {srand(1); for (i = 0; i < n; i++) printf "-c \"write -q -P %d %.0f 65536\" ", i % 200 + 1, int(rand() * s) * 65536}')
r=0
while [ $r -lt "$REPEAT" ]; do
  qemu-img create -q -f qcow2 -o cluster_size=65536 -b "$dir/base.qcow2" -F qcow2 "$dir/clone$r.qcow2"
  eval qemu-io -f qcow2 $cmds "$dir/clone$r.qcow2" >/dev/null
  r=$((r + 1))
done
cat > "$dir/peer.sh" <<EOS
set -eu
t0=\$(date +%s%N); qemu-img rebase -q -t $QEMU_CACHE -b '' "$dir/clone\$1.qcow2"; sync; t1=\$(date +%s%N)
rm -f "$dir/clone\$1.qcow2"
echo "\$t0 \$t1" | awk '{printf "%.1f\\n", (\$2 - \$1) / 1e6}'
EOS

# the engine, which runs each round's pair (COPY split, peer) in alternating order, the disk quiet before each
SPLIT_REPEAT=$REPEAT SPLIT_PEER="sh $dir/peer.sh" SPLIT_QUIET="sh $root/e2e/bench/quiet-disk.sh $dir; fincore -n -o RES,FILE $dir/pool/pool.data $dir/base.qcow2 | sed 's/^/cached: /' >&2" \
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$cp" dev.vdisk.bench.SplitBench "$dir/pool" "$SIZE" "$PERCENT" "$RATE" "$SECONDS_EACH" \
  2>&1 | tee "$dir/engine.log" | awk '/^RESULT/ {print $2, $3}' > "$dir/engine.txt"
rm -rf "$dir/pool"
r=0
while [ $r -lt "$REPEAT" ]; do
  grep -q "^split-copy-$r-ms " "$dir/engine.txt" && grep -q "^peer-ms-$r " "$dir/engine.txt" || {
    echo "split.sh: round $r has no result; the engine's log ends:" >&2; tail -20 "$dir/engine.log" >&2; exit 1; }
  r=$((r + 1))
done

get() { awk -v k="$1" '$1 == k {print $2}' "$dir/engine.txt"; }
echo "clone split of a $SIZE clone, $PERCENT % diverged, ms; $(nproc) CPUs, $(df -P "$dir" | awk 'NR==2 {print $1}'), sparse pool, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$REPEAT rounds of COPY split / qemu-img rebase -t $QEMU_CACHE -b '' (incl. sync), alternating who goes first; each after quiet-disk.sh:"
grep '^quiet-disk' "$dir/engine.log" | sort | uniq -c | awk '{$1 = $1 "x"; print "  " $0}'
echo "| round | first | COPY ms | qemu-img ms | COPY vs qemu-img | COPY phases |"
echo "|---|---|---:|---:|---:|---|"
r=0
while [ $r -lt "$REPEAT" ]; do
  awk -v r=$r -v c="$(get split-copy-$r-ms)" -v q="$(get peer-ms-$r)" -v ph="$(awk -v k="RESULT" -v r="split-copy-$r-phases" '$2 == r {$1 = ""; $2 = ""; sub(/^ +/, ""); print}' "$dir/engine.log")" \
    'BEGIN {printf "| %d | %s | %.1f | %.1f | %.2fx | %s |\n", r, (r % 2 == 0 ? "COPY" : "qemu"), c, q, q / c, ph}'
  r=$((r + 1))
done
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mc=$(awk '$1 ~ /^split-copy-[0-9]+-ms$/ {print $2}' "$dir/engine.txt" | median)
mq=$(awk '$1 ~ /^peer-ms-/ {print $2}' "$dir/engine.txt" | median)
mr=$(r=0; while [ $r -lt "$REPEAT" ]; do awk -v c="$(get split-copy-$r-ms)" -v q="$(get peer-ms-$r)" 'BEGIN {print q / c}'; r=$((r + 1)); done | median)
awk -v mc="$mc" -v mq="$mq" -v mr="$mr" -v b="$bytes" 'BEGIN {printf "medians: COPY %.1f ms (%.0f MiB/s), qemu-img %.1f ms (%.0f MiB/s), ratio %.2fx (goal >= 1.0x)\n", mc, b / 1048576 / (mc / 1000), mq, b / 1048576 / (mq / 1000), mr}'
awk -v s="$(get split-share-ms)" -v q="$mq" -v f="$(get split-share-filled)" 'BEGIN {printf "SHARE split (%s segments filled): %.1f ms, %.1fx the median qemu-img (goal >= 50x)\n", f, s, q / s}'
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
