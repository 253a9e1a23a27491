package dev.vdisk.node.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * A file descriptor that names one file or directory, whatever is renamed over its path afterwards. Paths below a
 * directory descriptor are opened with openat2(2) and {@code RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS}: the kernel refuses (ELOOP) a path with a symbolic link anywhere in it and (EXDEV) one that
 * would leave the directory, in the same walk that finds the file, so there is no window between a check and a use.
 * {@link #procPath} names exactly this file to calls that take a path (mount(8), umount2).
 */
public record PathFd(int fd) implements AutoCloseable {
    private static final long SYS_OPENAT2 = 437; // the same on x86_64 and aarch64 (unified numbers from 5.x on)
    private static final long RESOLVE = 0x02 | 0x04 | 0x08; // NO_MAGICLINKS | NO_SYMLINKS | BENEATH
    private static final long OPEN_HOW_SIZE = 24; // struct open_how { u64 flags; u64 mode; u64 resolve; }
    private static final MethodHandle MKDIRAT =
            Libc.bind("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle UNLINKAT =
            Libc.bind("unlinkat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);

    /** Opens a trusted absolute path (links followed): the kubelet root, a /dev/loopN node. */
    public static PathFd open(Path path, int flags) throws ErrnoException {
        return new PathFd(Libc.checkedOpen(path.toString(), Libc.O_PATH | flags));
    }

    /**
     * Opens {@code relative} below this directory without following any link, O_PATH unless {@code flags} has
     * O_CREAT (then the file is created with {@code mode}, and O_EXCL makes an existing one EEXIST).
     */
    public PathFd openBeneath(String relative, int flags, int mode) throws ErrnoException {
        long openFlags = ((flags & Libc.O_CREAT) != 0 ? flags : flags | Libc.O_PATH) | Libc.O_CLOEXEC;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment how = arena.allocate(OPEN_HOW_SIZE, 8);
            how.set(JAVA_LONG, 0, openFlags);
            how.set(JAVA_LONG, 8, (flags & Libc.O_CREAT) != 0 ? mode : 0);
            how.set(JAVA_LONG, 16, RESOLVE);
            long r = Libc.syscall(
                    SYS_OPENAT2,
                    fd,
                    arena.allocateFrom(relative.isEmpty() ? "." : relative).address(),
                    how.address(),
                    OPEN_HOW_SIZE,
                    0,
                    0);
            if (r < 0) {
                throw new ErrnoException("openat2(" + relative + ")", Libc.errno());
            }
            return new PathFd((int) r);
        }
    }

    /** mkdirat(2) of one name in this directory; 0 or the errno. */
    public int mkdir(String name, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) MKDIRAT.invokeExact(Libc.captureState(), fd, arena.allocateFrom(name), mode);
            return r < 0 ? Libc.errno() : 0;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** unlinkat(2) of one name in this directory (a link is removed, never followed); 0 or the errno. */
    public int unlink(String name, boolean directory) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) UNLINKAT.invokeExact(
                    Libc.captureState(), fd, arena.allocateFrom(name), directory ? Libc.AT_REMOVEDIR : 0);
            return r < 0 ? Libc.errno() : 0;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code /proc/self/fd/N}: a path that the kernel resolves to this very file. */
    public String procPath() {
        return "/proc/self/fd/" + fd;
    }

    /** The same for a child process (mount(8)), which has no such descriptor of its own. */
    public String procPathForChild() {
        return "/proc/" + ProcessHandle.current().pid() + "/fd/" + fd;
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
