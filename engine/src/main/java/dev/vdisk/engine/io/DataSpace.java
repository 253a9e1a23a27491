package dev.vdisk.engine.io;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.error.EngineIOException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Positional I/O on the pool's data space (a sparse file or a block device), safe against interrupts.
 *
 * <p>A {@link FileChannel} is closed for everybody when any thread is interrupted inside an I/O call on it. The
 * data path calls us from many threads that we do not own, so every call clears the caller's interrupt flag for its
 * duration (restoring it afterwards) and, should the channel still be closed by an interrupt, reopens it and retries:
 * positional reads and writes are idempotent. Reads past the end of a sparse file return zeros.
 *
 * <p>Not final: crash-point tests subclass it to record every write and fsync of a run (and replay any prefix).
 */
public class DataSpace implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataSpace.class);

    private final Path path;
    private final Object reopenLock = new Object();
    /** Replaced only under {@link #reopenLock}; read without it (volatile). */
    @GuardedBy("reopenLock")
    private volatile FileChannel channel;

    private volatile boolean closed;
    /** The in-kernel copier's own descriptor, opened at the first copy; null until then or where unsupported. */
    @GuardedBy("reopenLock")
    private volatile KernelRanges ranges;

    @GuardedBy("reopenLock")
    private volatile boolean rangesTried;
    /**
     * Writes and copies completed so far (counted after each returns, so before its caller can reference what it
     * wrote). {@link #force} skips the fsync when the last one already covered every write counted when it was called:
     * an fsync of a clean file still costs a device cache flush, and a consistency point with nothing new in the data
     * (a SHARE split's release, a snapshot) would pay one for nothing. A LongAdder: writers on many threads (in-place
     * writes on the data path) must not bounce one cache line between CPUs.
     */
    private final LongAdder completed = new LongAdder();
    /** Serialises fsyncs, so that a force that finds one running waits for it instead of returning before it ends. */
    private final ReentrantLock syncLock = new ReentrantLock();
    /** The value of {@link #completed} read just before the last successful fsync began: all of those are durable. */
    private volatile long synced = -1;

    public DataSpace(Path path) {
        this.path = path;
        this.channel = openChannel();
    }

    public Path path() {
        return path;
    }

    private FileChannel openChannel() {
        try {
            return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new EngineIOException(
                    "cannot open data space " + path + ": " + e + "; check that it exists and is writable", e);
        }
    }

    /** Reads exactly {@code dst.remaining()} bytes at {@code pos} (zeros past the end of a file). */
    public void readFully(ByteBuffer dst, long pos) {
        boolean interrupted = Thread.interrupted();
        try {
            while (dst.hasRemaining()) {
                FileChannel ch = channel;
                try {
                    int n = ch.read(dst, pos);
                    if (n < 0) {
                        zeroFill(dst);
                        return;
                    }
                    pos += n;
                } catch (ClosedChannelException e) {
                    reopenAfter(ch, e);
                }
            }
        } catch (IOException e) {
            throw new EngineIOException("read of data space " + path + " at byte " + pos + " failed: " + e, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Writes all of {@code src} at {@code pos}. */
    public void writeFully(ByteBuffer src, long pos) {
        boolean interrupted = Thread.interrupted();
        try {
            while (src.hasRemaining()) {
                FileChannel ch = channel;
                try {
                    pos += ch.write(src, pos);
                } catch (ClosedChannelException e) {
                    reopenAfter(ch, e);
                }
            }
        } catch (IOException e) {
            throw new EngineIOException(
                    "write of data space " + path + " at byte " + pos + " failed: " + e
                            + "; the disk may be full or failing",
                    e);
        } finally {
            countCompleted(); // after the write returned (or failed partway): see {@link #completed}
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Makes every write completed before this call durable; nothing to do when an fsync since covered them all.
     * Concurrent callers share fsyncs: one that finds an fsync running waits for it, then syncs again only if that
     * one began before its own writes were counted.
     */
    public void force() {
        long target = completed.sum();
        if (synced >= target) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        syncLock.lock();
        try {
            if (synced >= target) {
                return;
            }
            long covers = completed.sum();
            while (true) {
                FileChannel ch = channel;
                try {
                    fsync(ch);
                    synced = covers;
                    return;
                } catch (ClosedChannelException e) {
                    reopenAfter(ch, e);
                }
            }
        } catch (IOException e) {
            throw new EngineIOException("fsync of data space " + path + " failed: " + e, e);
        } finally {
            syncLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Copies {@code length} bytes at {@code from} to {@code to} (ranges that do not overlap) in the kernel
     * ({@code copy_file_range}: the bytes never pass through our buffers, about five times faster here than a read
     * and a write of page-cached data), or through a buffer where the kernel cannot (a block device). Durable after
     * the next {@link #force}, like any write.
     */
    public void copyRange(long from, long to, long length) {
        long done = 0;
        try {
            KernelRanges k = ranges();
            while (done < length) {
                long n = k == null ? -1 : k.copy(from + done, to + done, length - done);
                if (n <= 0) { // unsupported, or past the end of a sparse file (zeros): through a buffer
                    ByteBuffer b = ByteBuffer.allocateDirect((int) Math.min(length - done, 1 << 20));
                    readFully(b, from + done);
                    writeFully(b.flip(), to + done);
                    n = b.capacity();
                }
                done += n;
            }
        } catch (IOException e) {
            throw new EngineIOException(
                    "copy of " + length + " bytes in data space " + path + " from byte " + from + " to byte " + to
                            + " failed at byte " + done + ": " + e + "; the disk may be full or failing",
                    e);
        } finally {
            countCompleted();
        }
    }

    /** The fsync itself; crash-point tests override it to learn which writes it made durable. */
    protected void fsync(FileChannel ch) throws IOException {
        ch.force(true);
    }

    private void countCompleted() {
        completed.increment();
    }

    /**
     * Starts writing back {@code [pos, pos + length)} without waiting ({@code sync_file_range}), so that a later
     * {@link #force} finds little left to write. A hint; nothing where unsupported.
     */
    public void startWriteback(long pos, long length) {
        try {
            KernelRanges k = ranges();
            if (k != null) {
                k.startWriteback(pos, length);
            }
        } catch (IOException e) {
            LOG.debug("no writeback hint for data space {}: {}", path, e.toString());
        }
    }

    /** Waits for the writeback of {@code [pos, pos + length)} and drops those pages from the page cache. A hint. */
    public void dropBehind(long pos, long length) {
        try {
            KernelRanges k = ranges();
            if (k != null) {
                k.dropBehind(pos, length);
            }
        } catch (IOException e) {
            LOG.debug("no drop-behind for data space {}: {}", path, e.toString());
        }
    }

    private KernelRanges ranges() throws IOException {
        KernelRanges k = ranges;
        if (k != null || rangesTried) {
            return k;
        }
        synchronized (reopenLock) {
            if (closed) {
                throw new EngineIOException("data space " + path + " is closed");
            }
            if (!rangesTried) {
                ranges = KernelRanges.open(path);
                rangesTried = true;
            }
            return ranges;
        }
    }

    private void reopenAfter(FileChannel failed, ClosedChannelException cause) throws IOException {
        if (closed) {
            throw new EngineIOException("data space " + path + " is closed", cause);
        }
        if (!(cause instanceof ClosedByInterruptException) && failed == channel && !failed.isOpen()) {
            LOG.warn("data space {} was closed under us ({}); reopening", path, cause.toString());
        }
        synchronized (reopenLock) {
            if (channel == failed && !closed) {
                LOG.info("reopening data space {} after an interrupt closed its channel", path);
                channel = openChannel();
            }
        }
        Thread.interrupted();
    }

    private static void zeroFill(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    /** Throws if the file is shorter than {@code bytes} (used at open to detect truncated pools). */
    public long size() {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new EngineIOException("cannot size data space " + path + ": " + e, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (reopenLock) {
            if (ranges != null) {
                ranges.close();
            }
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("closing data space {} failed: {}", path, e.toString());
            }
        }
    }
}
