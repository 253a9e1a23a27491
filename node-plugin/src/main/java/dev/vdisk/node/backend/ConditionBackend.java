package dev.vdisk.node.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Keeps a volume's {@link IoCondition}s in front of another backend: writes, discards and flushes feed the
 * "writes" condition, reads the "reads" one. Errors pass through unchanged (the FUSE dispatcher picks the errno).
 * The conditions belong to the volume, not to one attachment: a volume detached and attached again (a retried
 * staging) keeps its condition, so it logs no new line.
 */
public final class ConditionBackend implements BlockBackend {
    private final BlockBackend inner;
    private final IoCondition writes;
    private final IoCondition reads;

    /** A volume's two conditions. */
    public record Conditions(IoCondition writes, IoCondition reads) {
        /** @param writable what the pool can write now (ends a "pool out of space" condition) */
        public Conditions(String volumeId, IoCondition.Changes changes, LongSupplier writable) {
            this(
                    new IoCondition(volumeId, "writes", changes, writable),
                    new IoCondition(volumeId, "reads", changes, writable));
        }

        /** The failing condition, writes first, if any. */
        public Optional<IoCondition.Failing> failing() {
            return writes.current().or(reads::current);
        }
    }

    public ConditionBackend(BlockBackend inner, Conditions conditions) {
        this.inner = inner;
        this.writes = conditions.writes();
        this.reads = conditions.reads();
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        try {
            int n = inner.read(offset, dst);
            reads.succeeded();
            return n;
        } catch (IOException | RuntimeException e) {
            reads.failed(e);
            throw e;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        writing(() -> inner.write(offset, src));
        writes.succeeded();
    }

    @Override
    public void flush() throws IOException {
        writing(inner::flush);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        writing(() -> inner.discard(offset, length));
        writes.succeeded();
    }

    @Override
    public long size() {
        return inner.size();
    }

    /** Runs a call on the write path, feeding its failure to the "writes" condition. */
    private void writing(WriteCall call) throws IOException {
        try {
            call.run();
        } catch (IOException | RuntimeException e) {
            writes.failed(e);
            throw e;
        }
    }

    @FunctionalInterface
    private interface WriteCall {
        void run() throws IOException;
    }
}
