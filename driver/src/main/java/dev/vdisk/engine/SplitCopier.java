package dev.vdisk.engine;

import dev.vdisk.engine.io.DataSpace;

/**
 * A COPY split's data mover: copies stretches of segments inside the pool's data space in the kernel
 * ({@link DataSpace#copyRange}, {@code copy_file_range}), then starts the writeback of what it wrote at once
 * ({@link DataSpace#startWriteback}). Without that the kernel leaves the copies dirty until the background threshold
 * (10 % of memory here: gigabytes) or the next consistency point, whose fsync then stops the split while the disk
 * writes seconds' worth; with it the disk writes while the split copies, as a streaming copier's does, and a point
 * finds little left to flush. Durability is unchanged: only the point's fsync ({@link DataSpace#force}) makes the
 * copies durable, before the maps that reference them. Used by one split task's thread.
 */
final class SplitCopier implements AutoCloseable {
    private final DataSpace data;

    SplitCopier(DataSpace data) {
        this.data = data;
    }

    /** Copies {@code length} bytes at byte {@code from} to byte {@code to} (the ranges do not overlap). */
    void copy(long from, long to, long length) {
        data.copyRange(from, to, length);
        data.startWriteback(to, length);
    }

    @Override
    public void close() {
        // nothing of its own: the data space owns the descriptor
    }
}
