package dev.vdisk.engine.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * A descriptor of its own on one file for the Linux calls {@code FileChannel} lacks (bound through FFM):
 * {@code copy_file_range} with explicit offsets at both ends (so one descriptor serves every thread, no position to
 * share), {@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, which starts the writeback of a range without waiting for
 * it, and {@code posix_fadvise(POSIX_FADV_DONTNEED)}, which drops a written-back range from the page cache.
 * Thread-safe; {@link #close} only once nobody copies any more.
 */
final class KernelRanges implements AutoCloseable {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final int SYNC_FILE_RANGE_WAIT_ALL = 1 | 2 | 4;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final int EINTR = 4;
    private static final int EBADF = 9;
    private static final int EXDEV = 18;
    private static final int EINVAL = 22;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;

    private static final Bindings NATIVE = Bindings.load();

    private final int fd;
    private volatile boolean closed;

    private KernelRanges(int fd) {
        this.fd = fd;
    }

    /** Opens {@code path} read-write, or returns null where the calls are not available (not Linux, no glibc). */
    static KernelRanges open(Path path) throws IOException {
        if (NATIVE == null) {
            return null;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(LibcCalls.STATE);
            int fd = (int) NATIVE.open.invokeExact(state, a.allocateFrom(path.toString()), O_RDWR | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("open(" + path + ") failed: errno " + LibcCalls.errno(state));
            }
            return new KernelRanges(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Copies up to {@code length} bytes at {@code from} to {@code to} inside the file, in the kernel. Returns the
     * bytes copied (at least one), 0 at the end of the file, or -1 when this file cannot be copied in the kernel
     * (a block device, a file system without the call): the caller copies through a buffer.
     */
    long copy(long from, long to, long length) throws IOException {
        if (closed) {
            throw new IOException("closed");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(LibcCalls.STATE);
            MemorySegment offIn = a.allocate(JAVA_LONG);
            MemorySegment offOut = a.allocate(JAVA_LONG);
            while (true) {
                offIn.set(JAVA_LONG, 0, from);
                offOut.set(JAVA_LONG, 0, to);
                long n = (long) NATIVE.copyFileRange.invokeExact(state, fd, offIn, fd, offOut, length, 0);
                if (n >= 0) {
                    return n;
                }
                int errno = LibcCalls.errno(state);
                switch (errno) {
                    case EINTR -> {}
                    case EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF -> {
                        return -1;
                    }
                    default -> throw new IOException("copy_file_range failed: errno " + errno);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Starts writing back the dirty pages of {@code [pos, pos + length)} and returns without waiting for them (it may
     * wait for room in the device's queue). A hint: false if the kernel refused it; an fsync still decides
     * durability.
     */
    boolean startWriteback(long pos, long length) {
        return syncFileRange(pos, length, SYNC_FILE_RANGE_WRITE);
    }

    /**
     * Waits for the writeback of {@code [pos, pos + length)} ({@code sync_file_range} before, write, after) and drops
     * its clean pages from the page cache. A hint: false if the kernel refused either; dirty pages are never dropped,
     * and only an fsync decides durability.
     */
    boolean dropBehind(long pos, long length) {
        if (!syncFileRange(pos, length, SYNC_FILE_RANGE_WAIT_ALL)) {
            return false;
        }
        try {
            return (int) NATIVE.fadvise.invokeExact(fd, pos, length, POSIX_FADV_DONTNEED) == 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code sync_file_range} with {@code flags}; false once closed or if the kernel refused it. */
    private boolean syncFileRange(long pos, long length, int flags) {
        if (closed) {
            return false;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(LibcCalls.STATE);
            return (int) NATIVE.syncFileRange.invokeExact(state, fd, pos, length, flags) == 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibcCalls.closeFd(NATIVE.close, fd);
    }

    /** The glibc functions, each capturing errno but {@code posix_fadvise} (which returns it). */
    private record Bindings(
            MethodHandle open,
            MethodHandle close,
            MethodHandle copyFileRange,
            MethodHandle syncFileRange,
            MethodHandle fadvise) {
        static Bindings load() {
            try {
                return new Bindings(
                        LibcCalls.open(),
                        LibcCalls.close(),
                        LibcCalls.downcall(
                                "copy_file_range",
                                FunctionDescriptor.of(
                                        JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT)),
                        LibcCalls.downcall(
                                "sync_file_range",
                                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT)),
                        LibcCalls.downcallWithoutErrno(
                                "posix_fadvise",
                                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT)));
            } catch (RuntimeException | LinkageError e) {
                return null; // not Linux/glibc: DataSpace copies through a buffer and skips the writeback hint
            }
        }
    }
}
