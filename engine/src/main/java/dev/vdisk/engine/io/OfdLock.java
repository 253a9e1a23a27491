package dev.vdisk.engine.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * An exclusive whole-file open-file-description lock ({@code fcntl(F_OFD_SETLK)}, Linux 3.15+, bound through FFM) on a
 * descriptor of its own, held until {@link #close}. It guards a pool's data file or device and its journal against a
 * second opener that reached them through another path (a copied pool directory naming the original's files).
 *
 * <p>Why not {@code FileChannel.tryLock}, which is a classic POSIX record lock: such a lock belongs to the process,
 * and the kernel drops it when the process closes <em>any</em> descriptor of the file. The engine opens the data file
 * several times (the data space, its reopen after an interrupt, the in-kernel copier's descriptor, the superblock
 * probe at open), so a POSIX lock on it would vanish silently; and two opens in one process would not exclude each
 * other in the kernel (the JDK's in-process table refuses a second {@code tryLock} of the same file, but only through
 * FileChannel). An OFD lock belongs to its own open file description: only closing that descriptor releases it, and
 * two descriptions conflict even within one process, so a second pool opened in the same JVM is refused as well. The
 * kernel drops it when the process dies, so a killed process leaves no stale lock.
 */
public final class OfdLock implements AutoCloseable {
    private static final int O_RDWR = 2;
    private static final int O_CREAT = 0x40;
    private static final int O_CLOEXEC = 0x80000;
    private static final int F_OFD_SETLK = 37;
    private static final short F_WRLCK = 1;
    private static final short SEEK_SET = 0;
    private static final int EACCES = 13;
    private static final int EAGAIN = 11;
    /** {@code struct flock} on 64-bit Linux: type, whence, (pad), start, len, pid, (pad). */
    private static final StructLayout FLOCK = MemoryLayout.structLayout(
            JAVA_SHORT.withName("l_type"),
            JAVA_SHORT.withName("l_whence"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("l_start"),
            JAVA_LONG.withName("l_len"),
            JAVA_INT.withName("l_pid"),
            MemoryLayout.paddingLayout(4));

    private static final Bindings NATIVE = Bindings.load();

    private final int fd;
    private boolean closed;

    private OfdLock(int fd) {
        this.fd = fd;
    }

    /**
     * Locks {@code file} (created 0600 if {@code create} and missing). Returns null when another open file description
     * holds a conflicting lock (another process, or another pool in this one).
     *
     * @throws IOException if the file cannot be opened, or the kernel has no OFD locks
     */
    public static OfdLock tryLock(Path file, boolean create) throws IOException {
        if (NATIVE == null) {
            throw new IOException("open file description locks need Linux with glibc");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(LibcCalls.STATE);
            int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
            int fd = (int) NATIVE.open.invokeExact(state, a.allocateFrom(file.toString()), flags, 0600);
            if (fd < 0) {
                throw new IOException("open failed: errno " + LibcCalls.errno(state));
            }
            MemorySegment fl = a.allocate(FLOCK); // zeroed: start 0, len 0 (the whole file), pid 0 (required)
            fl.set(JAVA_SHORT, 0, F_WRLCK);
            fl.set(JAVA_SHORT, 2, SEEK_SET);
            int r = (int) NATIVE.fcntl.invokeExact(state, fd, F_OFD_SETLK, fl);
            if (r == 0) {
                return new OfdLock(fd);
            }
            int errno = LibcCalls.errno(state);
            int ignored = (int) NATIVE.close.invokeExact(a.allocate(LibcCalls.STATE), fd);
            if (errno == EAGAIN || errno == EACCES) {
                return null;
            }
            throw new IOException("fcntl(F_OFD_SETLK) failed: errno " + errno);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Releases the lock (closes its descriptor); idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibcCalls.closeFd(NATIVE.close, fd);
    }

    private record Bindings(MethodHandle open, MethodHandle fcntl, MethodHandle close) {
        static Bindings load() {
            try {
                return new Bindings(
                        LibcCalls.open(),
                        LibcCalls.downcall(
                                "fcntl",
                                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
                                Linker.Option.firstVariadicArg(2)),
                        LibcCalls.close());
            } catch (RuntimeException | LinkageError e) {
                return null;
            }
        }
    }
}
