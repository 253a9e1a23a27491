package dev.vdisk.node.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An eventfd(2) counter: any thread may {@link #signal} it; its owner reads it (for example through an io_uring read)
 * to learn that something was signalled since the last read. Signals coalesce.
 */
public final class EventFd implements AutoCloseable {
    private static final long SYS_EVENTFD2 = "aarch64".equals(System.getProperty("os.arch")) ? 19 : 290;
    private static final int EFD_CLOEXEC = 0x80000;

    private final int fd;
    /** The 8-byte value 1 that {@link #signal} writes; never written after creation, so shared by every caller. */
    private final MemorySegment one;

    private EventFd(int fd, MemorySegment one) {
        this.fd = fd;
        this.one = one;
    }

    public static EventFd create() throws ErrnoException {
        long r = Libc.syscall(SYS_EVENTFD2, 0, EFD_CLOEXEC, 0, 0, 0, 0);
        if (r < 0) {
            throw new ErrnoException("eventfd2", Libc.errno());
        }
        MemorySegment one = Arena.ofAuto().allocate(8, 8);
        one.set(JAVA_LONG, 0, 1L);
        return new EventFd((int) r, one);
    }

    public int fd() {
        return fd;
    }

    /** Adds 1 to the counter, waking a reader. Thread-safe; never blocks (the counter cannot realistically fill). */
    public void signal() {
        Libc.write(fd, one, 8);
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
