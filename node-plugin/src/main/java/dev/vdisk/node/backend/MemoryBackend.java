package dev.vdisk.node.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A {@link BlockBackend} in native memory, for tests that want the data path without a disk below it.
 * Discard zeroes the range. Threading: no locking; overlapping concurrent writes race like on a disk.
 */
public final class MemoryBackend implements BlockBackend, AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment data;

    public MemoryBackend(long size) {
        if (size % 4096 != 0) {
            throw new IllegalArgumentException("size " + size + " is not a multiple of 4096");
        }
        this.data = arena.allocate(size, 4096);
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        int n = (int) Math.max(0, Math.min(dst.remaining(), data.byteSize() - offset));
        MemorySegment.copy(data, offset, MemorySegment.ofBuffer(dst), 0, n);
        dst.position(dst.position() + n);
        return n;
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        int n = src.remaining();
        MemorySegment.copy(MemorySegment.ofBuffer(src), 0, data, offset, n);
        src.position(src.position() + n);
    }

    @Override
    public void flush() {}

    @Override
    public void discard(long offset, long length) {
        data.asSlice(offset, length).fill((byte) 0);
    }

    @Override
    public long size() {
        return data.byteSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
