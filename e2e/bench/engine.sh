#!/bin/sh
# Engine I/O vs qemu-img bench on qcow2, same disk, same run: bin/vdisk-bench engine [DIR]
#   64 KiB sequential write of 4 GiB; 4 KiB scattered write and read at queue depth 16 over 1 GiB;
#   writes with and without a flush every 64 requests. Prints IOPS and MB/s for both and the ratio engine/qemu.
# Both sides write through the page cache (qemu -t writeback); flushes are fsyncs on both.
# Access pattern for "random": request i at (i * STEP) mod 1 GiB, STEP an odd multiple of 4 KiB (qemu-img bench's
# only pattern; visits every block in a scattered order), used identically by the engine bench.
# Env: SEQ_SIZE (4G), RAND_SIZE (1G), FLUSH_EVERY (64), DEPTH (16), KEEP=1 keeps the data.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/run/bench-engine}
SEQ_SIZE=${SEQ_SIZE:-4G}
RAND_SIZE=${RAND_SIZE:-1G}
FLUSH_EVERY=${FLUSH_EVERY:-64}
DEPTH=${DEPTH:-16}
STEP=$((4096 * 104729))

if ! command -v qemu-img >/dev/null 2>&1; then
  echo "installing qemu-utils for qemu-img" >&2
  (apt-get install -y qemu-utils >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y qemu-utils >/dev/null; })
fi
if [ ! -d "$root/bench/target/lib" ] || [ ! -f "$root/bench/target/classes/dev/vdisk/bench/EngineBench.class" ]; then
  (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests)
fi
cp="$root/bench/target/classes"
for j in "$root"/bench/target/lib/*.jar; do cp="$cp:$j"; done

bytes() { # human size -> bytes
  n=$(echo "$1" | sed 's/[KMGTkmgt].*//'); u=$(echo "$1" | sed 's/^[0-9]*//' | cut -c1 | tr a-z A-Z)
  case $u in K) echo $((n << 10));; M) echo $((n << 20));; G) echo $((n << 30));; T) echo $((n << 40));; *) echo "$n";; esac
}
seq_count=$(( $(bytes "$SEQ_SIZE") / 65536 ))
rand_count=$(( $(bytes "$RAND_SIZE") / 4096 ))

rm -rf "$dir"; mkdir -p "$dir"
engine() { # name write|read size buf step count flush [create]
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$cp" dev.vdisk.bench.EngineBench \
    "$dir/pool" "$1" "$2" "$3" "$4" "$5" "$6" "$DEPTH" "$7" "${8-}" | awk '/^RESULT/ {print $3, $4, $5}'
}
qemu() { # image write|read size buf step count flush
  img=$dir/$1.qcow2; mode=$2; size=$3; buf=$4; step=$5; count=$6; flush=$7
  [ -f "$img" ] || qemu-img create -q -f qcow2 "$img" "$size"
  w=""; [ "$mode" = write ] && w="-w"
  f=""; [ "$flush" -gt 0 ] && f="--flush-interval=$flush"
  secs=$(qemu-img bench -q $w $f -t writeback -c "$count" -d "$DEPTH" -s "$buf" -S "$step" -f qcow2 "$img" 2>&1 \
    | sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p')
  [ -n "$secs" ] || secs=$(qemu-img bench $w $f -t writeback -c "$count" -d "$DEPTH" -s "$buf" -S "$step" -f qcow2 "$img" 2>&1 | sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p')
  echo "$count $secs $((count * $(bytes "$buf")))"
}
row() { # label "count secs bytes" "count secs bytes"
  echo "$1|$2|$3" | awk -F'|' '{
    split($2, e, " "); split($3, q, " ");
    ei = e[1] / e[2]; em = e[3] / e[2] / 1e6; qi = q[1] / q[2]; qm = q[3] / q[2] / 1e6;
    printf "| %-34s | %10.0f | %8.1f | %10.0f | %8.1f | %5.2f |\n", $1, ei, em, qi, qm, ei / qi }'
}

echo "engine vs qemu-img $(qemu-img --version | head -1 | awk '{print $3}') (qcow2, -t writeback) on $(df -P "$dir" | awk 'NR==2 {print $1}'), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| workload                           | engine IOPS | engine MB/s | qemu IOPS | qemu MB/s | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
e=$(engine seq write "$SEQ_SIZE" 64K 64K "$seq_count" 0 create); q=$(qemu seq write "$SEQ_SIZE" 64K 65536 "$seq_count" 0)
row "64K seq write $SEQ_SIZE QD$DEPTH" "$e" "$q"
e=$(engine seqf write "$SEQ_SIZE" 64K 64K "$seq_count" "$FLUSH_EVERY"); q=$(qemu seqf write "$SEQ_SIZE" 64K 65536 "$seq_count" "$FLUSH_EVERY")
row "64K seq write $SEQ_SIZE QD$DEPTH flush/$FLUSH_EVERY" "$e" "$q"
e=$(engine rnd write "$RAND_SIZE" 4K $STEP "$rand_count" 0); q=$(qemu rnd write "$RAND_SIZE" 4K $STEP "$rand_count" 0)
row "4K rand write $RAND_SIZE QD$DEPTH" "$e" "$q"
e=$(engine rnd write "$RAND_SIZE" 4K $STEP "$rand_count" "$FLUSH_EVERY"); q=$(qemu rnd write "$RAND_SIZE" 4K $STEP "$rand_count" "$FLUSH_EVERY")
row "4K rand overwrite $RAND_SIZE QD$DEPTH flush/$FLUSH_EVERY" "$e" "$q"
e=$(engine rnd read "$RAND_SIZE" 4K $STEP "$rand_count" 0); q=$(qemu rnd read "$RAND_SIZE" 4K $STEP "$rand_count" 0)
row "4K rand read $RAND_SIZE QD$DEPTH" "$e" "$q"
[ "${KEEP-}" = 1 ] || rm -rf "$dir"
