package dev.vdisk.node.backend;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What the data path serves as a block device: the shape of the engine's vdisk handle, so that an engine
 * adapter is a few lines of delegation.
 *
 * <p>Threading: called concurrently from every FUSE worker thread, with no lock held by the caller; calls
 * may overlap on the same range (the block layer above does not serialize them), and the backend decides
 * what ordering it guarantees (a later flush must cover every write acknowledged before it started).
 *
 * <p>Buffers are direct, page-aligned slices of the worker's native buffer (position 0, limit = length),
 * valid only during the call: a backend must not keep a reference.
 */
public interface BlockBackend {

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code offset} into {@code dst}, advancing its position.
     *
     * @return the number of bytes read; fewer than asked only at the end of the device
     */
    int read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all of {@code src} at {@code offset}. Returning acknowledges the write (not yet durable). */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every write acknowledged before this call durable. */
    void flush() throws IOException;

    /**
     * Frees the range; it reads back as zeros afterwards. The data path relies on that: it also maps the
     * kernel's write-zeroes (FALLOC_FL_ZERO_RANGE) onto this method.
     */
    void discard(long offset, long length) throws IOException;

    /** Current size in bytes; a multiple of 4096. */
    long size();
}
