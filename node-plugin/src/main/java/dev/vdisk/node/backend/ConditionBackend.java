package dev.vdisk.node.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Keeps a volume's {@link IoCondition}s in front of another backend: writes, discards and flushes feed the
 * "writes" condition, reads the "reads" one. Errors pass through unchanged (the FUSE dispatcher picks the errno).
 */
public final class ConditionBackend implements BlockBackend {
    private final BlockBackend inner;
    private final IoCondition writes;
    private final IoCondition reads;

    public ConditionBackend(String volumeId, BlockBackend inner, IoCondition.Changes changes) {
        this.inner = inner;
        this.writes = new IoCondition(volumeId, "writes", changes);
        this.reads = new IoCondition(volumeId, "reads", changes);
    }

    /** The failing condition, writes first, if any. */
    public Optional<IoCondition.Failing> failing() {
        return writes.current().or(reads::current);
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
        try {
            inner.write(offset, src);
        } catch (IOException | RuntimeException e) {
            writes.failed(e);
            throw e;
        }
        writes.succeeded();
    }

    @Override
    public void flush() throws IOException {
        try {
            inner.flush();
        } catch (IOException | RuntimeException e) {
            writes.failed(e);
            throw e;
        }
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        try {
            inner.discard(offset, length);
        } catch (IOException | RuntimeException e) {
            writes.failed(e);
            throw e;
        }
        writes.succeeded();
    }

    @Override
    public long size() {
        return inner.size();
    }
}
