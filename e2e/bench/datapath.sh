#!/bin/sh
# bin/vdisk-bench datapath [RUNTIME_SECONDS] -- the node data path against its peer, side by side, same disk.
#
#   ours-engine: fio on a direct-I/O loop device (4 KiB blocks) over an image served by our FUSE server
#                (dev.vdisk.node.datapath.ServeMain --pool) from an engine vdisk (EngineBackend): a pool created
#                in the bench directory with default options, one vdisk of the image size, fully written first
#   ours-file  : the same over our FUSE server serving a plain file opened O_DIRECT (FileBackend, engine not
#                involved): isolates the FUSE transport
#   ours-agent : fio on the block device of a volume made through CSI: the standalone driver (bin/vdisk-csi
#                standalone, its own pool in the bench directory, default flags but --fuse-transport $TRANSPORT)
#                and BenchVolume (bench module), a client on its socket that calls CreateVolume, NodeStageVolume and
#                NodePublishVolume (block) as the sidecars and the kubelet would; the volume is fully written first;
#                the node agent's own ring settings, wrappers and JVM defaults -- what a pod gets
#   plain      : fio on a direct-I/O loop device (4 KiB blocks) over a plain file on the same disk
#
# Columns: "java CPU us/IO" is the server's CPU time (user+system, all threads) per I/O it served, "(fuse threads)"
# the part of it in the threads that serve requests, "(of it user)" their user-mode part (Java; the rest is the
# kernel's work done on those threads: request copies, io_uring submissions, completing the loop's requests); "machine us/IO" is the whole machine's busy time per I/O
# during that peer's run (fio, loop, kworkers, our server, and whatever else runs: say how loaded it was);
# "fio CPU %" is fio's own usr+sys. "flush s" is the fsync of the device after the row (see flush_seconds) and
# "/plain+flush" the ratio of the rates with each peer's flush added to its run time.
# Rows: 1 MiB sequential read/write at QD16, 4 KiB random read/write at QD32 with 1 and 2 jobs; fio with
# libaio and direct I/O; peers alternate per row so that drift in the disk hits all alike.
# Environment: RUNTIME (s, default 20), SIZE_MB (per image, default 2048), BENCH_DIR (default
# target/bench-datapath under the checkout), TRANSPORT (uring, the default: FUSE over io_uring, fails if the
# kernel cannot; dev: read/write on /dev/fuse), WORKERS (/dev/fuse worker threads, or with io_uring the threads that
# make the engine's calls; default 32), RING_THREADS and
# RING_DEPTH (io_uring: threads per CPU queue, default 1, and entries per thread, default 64; for the engine peer
# ENGINE_RING_THREADS, default 4, and ENGINE_RING_DEPTH, default 8), SERVE_OPTS (more
# ServeMain flags for both servers, e.g. "--no-clone"), ROWS (space-separated subset of row names), PEERS (subset of
# "file engine agent", default "file engine agent"; plain always runs), JAVA_OPTS (more JVM flags for the servers
# and the driver, e.g. JFR). The agent peer's driver gets --fuse-transport $TRANSPORT and nothing else. BUILD=0 skips
# the build (a previous run's classes and class path are used).
# Needs root, fio, losetup, python3.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
RUNTIME=${1:-${RUNTIME:-20}}
SIZE_MB=${SIZE_MB:-2048}
DIR=${BENCH_DIR:-$root/target/bench-datapath}
WORKERS=${WORKERS:-32}
TRANSPORT=${TRANSPORT:-uring}
RING_THREADS=${RING_THREADS:-1}
RING_DEPTH=${RING_DEPTH:-64}
# the node agent's defaults for the engine peer, 4 threads per CPU queue with 8 entries each (its calls run on WORKERS
# call threads, not on the ring threads; 1 x 64 serves it as well)
ENGINE_RING_THREADS=${ENGINE_RING_THREADS:-4}
ENGINE_RING_DEPTH=${ENGINE_RING_DEPTH:-8}
SERVE_OPTS=${SERVE_OPTS:-}
JAVA_OPTS=${JAVA_OPTS:-}
PEERS=${PEERS:-"file engine agent"}
ROWS=${ROWS:-"seqread seqwrite randread1 randread2 randwrite1 randwrite2"}
JAVA=${JAVA_HOME:?JAVA_HOME must point to a JDK 25 (bin/vdisk-bench selects one)}/bin/java

[ "$(id -u)" = 0 ] || { echo "datapath benchmark needs root (loop devices, FUSE mount)" >&2; exit 1; }
for t in fio losetup python3; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done

# the agent peer runs bin/vdisk-csi (launcher/target) and BenchVolume (bench/target)
modules=node-plugin
case " $PEERS " in *" agent "*) modules=node-plugin,bench,launcher ;; esac
if [ "${BUILD:-1}" = 0 ]; then
  echo "BUILD=0: using the classes already in $modules (and their target/lib)" >&2
else
echo "building $modules..." >&2
# one reactor run with its upstream modules (nothing is installed): each module writes the classpath file in
# turn, node-plugin or launcher (which holds node-plugin's runtime classpath) last
(cd "$root" && ./mvnw -q -B -pl $modules -am package dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=runtime -Dmdep.outputFile="$root/node-plugin/target/datapath.cp" >/dev/null)
fi
CP="$root/node-plugin/target/classes:$(cat "$root/node-plugin/target/datapath.cp" 2>/dev/null || true)"

mkdir -p "$DIR"
PLAIN_IMG="$DIR/plain.img"; FILE_IMG="$DIR/ours.img"; POOL="$DIR/pool"
PLAIN_DEV=; FILE_PID=; ENGINE_PID=; FILE_DEV=; ENGINE_DEV=; AGENT_PID=; AGENT_DEV=; AGENT_VOL=
AGENT_SOCK="$DIR/agent/csi.sock"; KUBELET="$DIR/agent/kubelet"
BENCH_CP="$root/bench/target/classes:$root/bench/target/lib/*"
BENCH_JAVA="$JAVA --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp $BENCH_CP"

# stop_agent: the volume unpublished, unstaged and deleted through CSI, then the driver stopped (SIGTERM); anything
# still mounted under its kubelet tree (a client that failed half-way) unmounted, so that the loop device goes
stop_agent() {
  if [ -n "$AGENT_VOL" ] && [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
    $BENCH_JAVA dev.vdisk.bench.csi.BenchVolume down "$AGENT_SOCK" "$KUBELET" "$AGENT_VOL" >&2 \
      || echo "WARNING: volume $AGENT_VOL not fully removed through CSI" >&2
  fi
  AGENT_VOL=
  if [ -n "$AGENT_PID" ]; then
    kill "$AGENT_PID" 2>/dev/null
    i=0; while kill -0 "$AGENT_PID" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
    kill -9 "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null
    AGENT_PID=
  fi
  for m in $(awk -v d="$DIR/agent/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" || umount -l "$m"
  done
}

# stop_server PEER: closing its control pipe makes ServeMain detach, unmount (and close the pool)
stop_server() {
  eval "pid=\${$(echo "$1" | tr a-z A-Z)_PID}"
  [ -n "$pid" ] || return 0
  if [ "$1" = file ]; then exec 3>&-; else exec 4>&-; fi
  i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

cleanup() {
  set +e
  stop_server file; stop_server engine; stop_agent
  [ -n "$PLAIN_DEV" ] && losetup -d "$PLAIN_DEV"
  rm -f "$DIR/file.ctl" "$DIR/engine.ctl" "$PLAIN_IMG" "$FILE_IMG"
  rm -rf --one-file-system "$POOL" "$DIR/agent"
  for m in "$DIR/fuse-file" "$DIR/fuse-engine"; do
    if grep -q " $m " /proc/self/mountinfo; then echo "WARNING: $m still mounted" >&2; fi
  done
  if grep -q " $DIR/agent/" /proc/self/mountinfo; then echo "WARNING: still mounted under $DIR/agent" >&2; fi
}
trap cleanup EXIT
# an interrupt ends the run (the EXIT trap cleans up) rather than letting it go on with dead devices
trap "exit 130" INT TERM

# start_server PEER FD ARGS...: runs ServeMain with its stdin on a fifo held open on FD; sets PEER_PID, PEER_DEV
start_server() {
  peer=$1; fd=$2; shift 2
  ctl="$DIR/$peer.ctl"; log="$DIR/serve-$peer.log"
  rt=$RING_THREADS; rd=$RING_DEPTH
  if [ "$peer" = engine ]; then rt=$ENGINE_RING_THREADS; rd=$ENGINE_RING_DEPTH; fi
  rm -f "$ctl" "$log"; mkfifo "$ctl" # no stale log: the DEVICE wait below must see this run's
  # shellcheck disable=SC2086
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xms256m -Xmx256m -XX:+AlwaysPreTouch $JAVA_OPTS -cp "$CP" \
    dev.vdisk.node.datapath.ServeMain --mount "$DIR/fuse-$peer" --size $((SIZE_MB * 1048576)) "$@" \
    --workers "$WORKERS" --transport "$TRANSPORT" --ring-threads "$rt" --ring-depth "$rd" $SERVE_OPTS \
    <"$ctl" >"$log" 2>&1 &
  pid=$!
  eval "exec $fd>\"\$ctl\""
  i=0; while ! grep -q '^DEVICE ' "$log" 2>/dev/null; do
    sleep 0.1; i=$((i+1))
    if [ $i -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then echo "ServeMain ($peer) did not start:" >&2; cat "$log" >&2; exit 1; fi
  done
  P=$(echo "$peer" | tr a-z A-Z)
  eval "${P}_PID=$pid; ${P}_DEV=$(sed -n 's/^DEVICE //p' "$log")"
  echo "ours-$peer: FUSE over $(sed -n 's/^TRANSPORT //p' "$log") (TRANSPORT=$TRANSPORT WORKERS=$WORKERS ring threads per queue $rt, depth $rd)" >&2
}

# start_agent: the standalone driver on its own pool, and a block volume of SIZE_MB created, staged and published
# through its socket; sets AGENT_PID, AGENT_VOL, AGENT_DEV
start_agent() {
  rm -rf "$DIR/agent"; mkdir -p "$KUBELET"; chmod 700 "$DIR/agent"
  log="$DIR/agent.log"; rm -f "$log"
  # shellcheck disable=SC2086
  JDK_JAVA_OPTIONS="$JAVA_OPTS" "$root/bin/vdisk-csi" standalone --pool "$DIR/agent/pool" \
    --pool-size $((SIZE_MB * 3 / 2 + 1024))M --endpoint "unix://$AGENT_SOCK" --kubelet-dir "$KUBELET" \
    --state-dir "$DIR/agent/state" --fuse-transport "$TRANSPORT" >"$log" 2>&1 &
  AGENT_PID=$!
  i=0; while [ ! -S "$AGENT_SOCK" ]; do
    sleep 0.2; i=$((i+1))
    if [ $i -gt 300 ] || ! kill -0 "$AGENT_PID" 2>/dev/null; then echo "the standalone driver did not start:" >&2; cat "$log" >&2; exit 1; fi
  done
  out=$($BENCH_JAVA dev.vdisk.bench.csi.BenchVolume up "$AGENT_SOCK" "$KUBELET" bench-datapath \
    $((SIZE_MB * 1048576))) || { AGENT_VOL=$(echo "$out" | sed -n 's/^VOLUME //p'); echo "$out" >&2; exit 1; }
  AGENT_VOL=$(echo "$out" | sed -n 's/^VOLUME //p'); AGENT_DEV=$(echo "$out" | sed -n 's/^DEVICE //p')
  echo "ours-agent: volume $AGENT_VOL on $AGENT_DEV (published at $(echo "$out" | sed -n 's/^TARGET //p')), driver's FUSE: $(sed -n 's/.*mounted fuse.vdisk at .* (connection [0-9]*, \(.*\))$/\1/p' "$log")" >&2
}

# Images and the engine vdisk fully written, so that reads hit the disk rather than holes or unwritten extents.
rm -rf "$POOL"
for img in "$PLAIN_IMG" $(case " $PEERS " in *" file "*) echo "$FILE_IMG";; esac); do
  echo "writing $img ($SIZE_MB MiB)..." >&2
  dd if=/dev/zero of="$img" bs=1M count="$SIZE_MB" oflag=direct status=none
done
sync

PLAIN_DEV=$(losetup --direct-io=on --sector-size 4096 -f --show "$PLAIN_IMG")
DEVS=$PLAIN_DEV
case " $PEERS " in *" file "*)
  start_server file 3 --file "$FILE_IMG" --direct
  DEVS="$DEVS $FILE_DEV" ;;
esac
case " $PEERS " in *" engine "*)
  start_server engine 4 --pool "$POOL" --vdisk bench
  echo "writing engine vdisk through $ENGINE_DEV ($SIZE_MB MiB)..." >&2
  dd if=/dev/zero of="$ENGINE_DEV" bs=1M count="$SIZE_MB" oflag=direct conv=fsync status=none
  DEVS="$DEVS $ENGINE_DEV" ;;
esac
case " $PEERS " in *" agent "*)
  start_agent
  echo "writing agent volume through $AGENT_DEV ($SIZE_MB MiB)..." >&2
  dd if=/dev/zero of="$AGENT_DEV" bs=1M count="$SIZE_MB" oflag=direct conv=fsync status=none
  DEVS="$DEVS $AGENT_DEV" ;;
esac
sync
for d in $DEVS; do
  n=${d#/dev/loop}
  echo "$d: dio=$(cat /sys/block/loop$n/loop/dio) lbs=$(cat /sys/block/loop$n/queue/logical_block_size) backing=$(cat /sys/block/loop$n/loop/backing_file)" >&2
done
FIRST_PID=${FILE_PID:-${ENGINE_PID:-$AGENT_PID}}

# CPU ticks: "<server total> <server threads named fuse-*> <machine busy> <fuse-* user>" (machine: all CPUs, everyone's work,
# from /proc/stat: user+nice+system+irq+softirq+steal)
cpu_ticks() {
  python3 - "$1" <<'PY'
import glob, sys
total = ring = ring_user = 0
for f in glob.glob(f"/proc/{sys.argv[1]}/task/*/stat"):
    try:
        s = open(f).read()
    except OSError:
        continue
    comm = s[s.index('(') + 1:s.rindex(')')]
    fields = s[s.rindex(')') + 2:].split()
    t = int(fields[11]) + int(fields[12])
    total += t
    if comm.startswith('fuse-'):
        ring += t
        ring_user += int(fields[11])
cpu = open('/proc/stat').readline().split()
busy = sum(int(cpu[i]) for i in (1, 2, 3, 6, 7, 8))
print(total, ring, busy, ring_user)
PY
}

# run_fio DEV ROW -> fio json in $DIR/ROW.<peer>.json
run_fio() {
  dev=$1; row=$2; out=$3
  case $row in
    seqread)    args="--rw=read --bs=1M --iodepth=16 --numjobs=1" ;;
    seqwrite)   args="--rw=write --bs=1M --iodepth=16 --numjobs=1" ;;
    randread1)  args="--rw=randread --bs=4k --iodepth=32 --numjobs=1" ;;
    randread2)  args="--rw=randread --bs=4k --iodepth=32 --numjobs=2" ;;
    randwrite1) args="--rw=randwrite --bs=4k --iodepth=32 --numjobs=1" ;;
    randwrite2) args="--rw=randwrite --bs=4k --iodepth=32 --numjobs=2" ;;
    *) echo "unknown row $row" >&2; exit 2 ;;
  esac
  # shellcheck disable=SC2086
  fio --name="$row" --filename="$dev" --direct=1 --ioengine=libaio $args --time_based --runtime="$RUNTIME" \
      --ramp_time=2 --group_reporting --output-format=json --output="$out" >/dev/null
}

# flush_seconds DEV: time of an fsync of the block device, which the loop device passes on to its backing file (our
# FUSE server's flush: for the engine, fsync of its data and journal). The engine acknowledges writes from the page
# cache and makes them durable at a flush, where the direct-I/O peers wrote through at once, so each write row ends
# with this flush (after fio, as a database's checkpoint would) and the rate including it is printed too. It also
# keeps one peer's writeback from slowing the next peer's run.
flush_seconds() {
  python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY)
t = time.monotonic(); os.fsync(fd); print(f"{time.monotonic() - t:.3f}")' "$1"
}

# results: one line per peer and row, "ROW PEER <4 ticks before> <4 ticks after> FLUSH_SECONDS" (plain: the first
# server's, for the machine's busy time)
RESULTS="$DIR/results.txt"; : >"$RESULTS"
for row in $ROWS; do
  echo "running $row (${RUNTIME}s per peer)..." >&2
  b=$(cpu_ticks "$FIRST_PID")
  run_fio "$PLAIN_DEV" "$row" "$DIR/$row.plain.json"
  a=$(cpu_ticks "$FIRST_PID")
  echo "$row plain $b $a $(flush_seconds "$PLAIN_DEV")" >>"$RESULTS"
  for peer in $PEERS; do
    P=$(echo "$peer" | tr a-z A-Z)
    eval "pid=\$${P}_PID; dev=\$${P}_DEV"
    b=$(cpu_ticks "$pid")
    run_fio "$dev" "$row" "$DIR/$row.$peer.json"
    a=$(cpu_ticks "$pid")
    echo "$row $peer $b $a $(flush_seconds "$dev")" >>"$RESULTS"
  done
done

python3 - "$DIR" "$RESULTS" "$RUNTIME" <<'PY'
import json, sys, os
d, results, runtime = sys.argv[1], sys.argv[2], float(sys.argv[3])
hz = os.sysconf('SC_CLK_TCK')
def stats(path):
    j = json.load(open(path))['jobs'][0]
    side = j['read'] if j['read']['io_bytes'] > 0 else j['write']
    p99 = side['clat_ns']['percentile'].get('99.000000', 0) / 1000.0
    return side['iops'], side['bw_bytes'] / 1e6, p99, j['usr_cpu'] + j['sys_cpu']
def us_per_io(ticks, iops):
    return ticks / hz * 1e6 / max(1.0, iops * (runtime + 2))
def with_flush(iops, flush):
    return iops * runtime / (runtime + flush)
print(f"{'row':<11} {'peer':<11} {'IOPS':>9} {'MB/s':>8} {'p99 us':>9} {'/plain':>6} {'flush s':>7}"
      f" {'/plain+flush':>12} {'java CPU us/IO':>14}"
      f" {'(fuse threads)':>14} {'(of it user)':>12} {'machine us/IO':>13} {'fio CPU %':>9}")
plain = None
for line in open(results):
    row, peer, *n = line.split()
    t0, t1, flush = [int(x) for x in n[0:4]], [int(x) for x in n[4:8]], float(n[8])
    o = stats(f"{d}/{row}.{peer}.json")
    if peer == 'plain':
        plain, plain_flush = o, flush
        print(f"{row:<11} {'plain':<11} {o[0]:>9.0f} {o[1]:>8.1f} {o[2]:>9.0f} {'':>6} {flush:>7.2f} {'':>12}"
              f" {'':>14} {'':>14} {'':>12}"
              f" {us_per_io(t1[2] - t0[2], o[0]):>13.1f} {o[3]:>9.0f}")
        continue
    print(f"{row:<11} {'ours-' + peer:<11} {o[0]:>9.0f} {o[1]:>8.1f} {o[2]:>9.0f} {o[0]/plain[0]:>6.2f} {flush:>7.2f}"
          f" {with_flush(o[0], flush) / with_flush(plain[0], plain_flush):>12.2f}"
          f" {us_per_io(t1[0] - t0[0], o[0]):>14.1f} {us_per_io(t1[1] - t0[1], o[0]):>14.1f}"
          f" {us_per_io(t1[3] - t0[3], o[0]):>12.1f}"
          f" {us_per_io(t1[2] - t0[2], o[0]):>13.1f} {o[3]:>9.0f}")
PY
