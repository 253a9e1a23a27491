package dev.vdisk.e2e;

import csi.v1.VolumeCapability;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the hand-over tests and the restart benchmark run: a node process (with a descriptor holder unless told
 * otherwise), an ext4 volume {@code fs} and a block volume {@code blk} staged and published, and a
 * {@link VerifyingWriter} on each (a preallocated file on the ext4 volume; the block device past its first MiB).
 * {@link #restart} stops or kills the node and starts it again; {@link #stopWriters} says what the writers saw;
 * {@link #unstageAndStop} leaves nothing behind when all went well, {@link #close} whatever happened.
 */
final class HandoverRig implements AutoCloseable {
    private static final long MIB = 1 << 20;
    static final int SLOTS = 1024;

    /** How the node is taken down. */
    enum Stop {
        SIGTERM,
        SIGKILL
    }

    final NodeFixture node;
    private final boolean holder;
    private final List<VerifyingWriter> writers = new ArrayList<>();
    private final VolumeCapability ext4 = NodeFixture.mount("ext4");
    private final VolumeCapability block = NodeFixture.block();
    private final Path fsTarget;
    private final Path blockTarget;
    private KernelView.Snapshot staged;

    private HandoverRig(NodeFixture node, boolean holder) throws IOException {
        this.node = node;
        this.holder = holder;
        this.fsTarget = node.target("fs", 1);
        this.blockTarget = node.target("blk", 1);
    }

    /** Creates the pool, starts the holder (if {@code holder}) and the node, stages, publishes, starts the writers. */
    static HandoverRig start(Path dir, boolean holder) throws Exception {
        HandoverRig rig = new HandoverRig(new NodeFixture(dir), holder);
        try {
            rig.begin();
        } catch (Exception | AssertionError e) {
            rig.close();
            throw e;
        }
        return rig;
    }

    private void begin() throws Exception {
        node.createPool(512 * MIB, "fs", 64 * MIB, "blk", 64 * MIB);
        if (holder) {
            node.startHolder();
        }
        node.start();
        node.stage("fs", ext4);
        node.publish("fs", fsTarget, ext4, false);
        node.stage("blk", block);
        node.publish("blk", blockTarget, block, false);
        Path file = fsTarget.resolve("stamps.bin");
        preallocate(file, (long) SLOTS * StampedBlock.SIZE);
        staged = node.kernel();
        writers.add(VerifyingWriter.start("fs", file, 0, SLOTS));
        writers.add(VerifyingWriter.start("blk", blockTarget, MIB, SLOTS));
    }

    /** Takes the node down and starts it again (until it answers Probe); returns how long that took. */
    Duration restart(Stop how) throws Exception {
        long t0 = System.nanoTime();
        if (how == Stop.SIGTERM) {
            node.stop();
        } else {
            node.kill();
        }
        node.start();
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** The longest operation of any writer since the last call (see {@link VerifyingWriter#takeLongest}). */
    Duration takeLongest() {
        return writers.stream()
                .map(VerifyingWriter::takeLongest)
                .max(Duration::compareTo)
                .orElse(Duration.ZERO);
    }

    /** The mounts and loop devices right after staging: a hand-over keeps them all, a re-stage makes new ones. */
    KernelView.Snapshot staged() {
        return staged;
    }

    /** Whether ext4 on {@code fs} is still read-write. */
    boolean fsReadWrite() {
        return KernelView.readWrite(node.staging("fs"));
    }

    /** Stops the writers, each after checking every slot it had acknowledged. */
    List<IoReport> stopWriters() throws InterruptedException {
        List<IoReport> reports = new ArrayList<>();
        for (VerifyingWriter w : writers) {
            reports.add(w.stop());
        }
        writers.clear();
        return reports;
    }

    /** The clean end: unpublish, unstage, stop the node, stop the holder; each must succeed. */
    void unstageAndStop() throws Exception {
        node.unpublish("fs", fsTarget);
        node.unpublish("blk", blockTarget);
        node.unstage("fs");
        node.unstage("blk");
        node.stop();
        if (holder) {
            node.stopHolder();
        }
    }

    @Override
    public void close() {
        writers.forEach(VerifyingWriter::close);
        node.close();
    }

    /** A file of zeros, written and fsynced, so that the writer's O_DIRECT writes overwrite allocated blocks. */
    private static void preallocate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocate((int) MIB);
            for (long pos = 0; pos < size; pos += zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    ch.write(zeros, pos + zeros.position());
                }
            }
            ch.force(true);
        }
    }
}
