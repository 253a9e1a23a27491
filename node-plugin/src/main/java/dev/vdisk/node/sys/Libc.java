package dev.vdisk.node.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * glibc system call wrappers bound through FFM (x86_64 / aarch64 Linux, LP64).
 *
 * <p>Raw methods ({@link #read}, {@link #write}, {@link #pread}…) return what the C function returns and
 * leave {@code errno} in a segment owned by the calling thread ({@link #errno()}); they allocate nothing, so
 * the FUSE workers use them per request. The {@code checked…} methods throw {@link ErrnoException} and are
 * for the control path.
 *
 * <p>None of the bindings is "critical": every call may block (a read on /dev/fuse, disk I/O), and a
 * critical downcall would hold up safepoints while it blocks.
 */
public final class Libc {
    // errno values (asm-generic)
    public static final int EPERM = 1,
            ENOENT = 2,
            EINTR = 4,
            EIO = 5,
            ENXIO = 6,
            EAGAIN = 11,
            EBUSY = 16,
            EINVAL = 22,
            EFBIG = 27,
            ENOSPC = 28,
            ENODEV = 19,
            ENOSYS = 38,
            EOPNOTSUPP = 95,
            ECONNABORTED = 103,
            ENOTCONN = 107,
            ECANCELED = 125,
            EEXIST = 17,
            ENOTDIR = 20,
            EISDIR = 21,
            ELOOP = 40,
            ENOTEMPTY = 39,
            EXDEV = 18;
    // open(2) flags; O_DIRECTORY and O_NOFOLLOW differ on aarch64
    public static final int O_RDONLY = 0,
            O_WRONLY = 1,
            O_RDWR = 2,
            O_CREAT = 0x40,
            O_EXCL = 0x80,
            O_DIRECT = 0x4000,
            O_CLOEXEC = 0x80000,
            O_PATH = 0x200000;
    public static final int O_DIRECTORY = aarch64() ? 0x4000 : 0x10000, O_NOFOLLOW = aarch64() ? 0x8000 : 0x20000;
    // *at(2) flags
    public static final int AT_FDCWD = -100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    // mmap(2)
    public static final int PROT_READ = 1,
            PROT_WRITE = 2,
            MAP_SHARED = 1,
            MAP_PRIVATE = 2,
            MAP_ANONYMOUS = 0x20,
            MAP_POPULATE = 0x8000;
    // mount(2) / umount2(2) flags
    public static final long MS_NOSUID = 2, MS_NODEV = 4;
    public static final int MNT_DETACH = 2, UMOUNT_NOFOLLOW = 8;
    // fallocate(2) modes
    public static final int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_ZERO_RANGE = 0x10;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    /** Per thread: where the last call's errno was captured. Allocated once per thread, freed with it. */
    private static final ThreadLocal<MemorySegment> CAPTURED =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private static final MethodHandle OPEN =
            bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle READ =
            bind("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle WRITE =
            bind("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle PREAD =
            bind("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle PWRITE =
            bind("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle IOCTL_PTR =
            bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle IOCTL_LONG =
            bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    private static final MethodHandle MOUNT =
            bind("mount", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), -1);
    private static final MethodHandle UMOUNT2 = bind("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle FALLOCATE =
            bind("fallocate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle FDATASYNC = bind("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle MMAP = bind(
            "mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
    private static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    /** syscall(2) with up to six register arguments; for calls glibc has no wrapper of (io_uring_*). */
    private static final MethodHandle SYSCALL6 = bind(
            "syscall",
            FunctionDescriptor.of(
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            1);

    private static final MethodHandle GETEUID =
            LINKER.downcallHandle(LIBC.find("geteuid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle STRERROR =
            LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Libc() {}

    private static boolean aarch64() {
        return System.getProperty("os.arch").equals("aarch64");
    }

    /** A downcall to libc's {@code name} that captures errno; for the other classes of this package. */
    static MethodHandle bind(String name, FunctionDescriptor fd, int firstVariadic) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        Linker.Option[] options = firstVariadic >= 0
                ? new Linker.Option[] {CAPTURE, Linker.Option.firstVariadicArg(firstVariadic)}
                : new Linker.Option[] {CAPTURE};
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** This thread's errno capture segment: the first argument of every handle {@link #bind} returns. */
    static MemorySegment captureState() {
        return CAPTURED.get();
    }

    /** errno of this thread's last call through this class. */
    public static int errno() {
        return (int) ERRNO.get(CAPTURED.get(), 0L);
    }

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    public static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    // ---- raw calls: return the C result, errno via errno() ----

    public static long read(int fd, MemorySegment buf, long count) {
        try {
            return (long) READ.invokeExact(CAPTURED.get(), fd, buf, count);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static long write(int fd, MemorySegment buf, long count) {
        try {
            return (long) WRITE.invokeExact(CAPTURED.get(), fd, buf, count);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static long pread(int fd, MemorySegment buf, long count, long offset) {
        try {
            return (long) PREAD.invokeExact(CAPTURED.get(), fd, buf, count, offset);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        try {
            return (long) PWRITE.invokeExact(CAPTURED.get(), fd, buf, count, offset);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int ioctl(int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL_PTR.invokeExact(CAPTURED.get(), fd, request, arg);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int ioctl(int fd, long request, long arg) {
        try {
            return (int) IOCTL_LONG.invokeExact(CAPTURED.get(), fd, request, arg);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int fallocate(int fd, int mode, long offset, long length) {
        try {
            return (int) FALLOCATE.invokeExact(CAPTURED.get(), fd, mode, offset, length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int fdatasync(int fd) {
        try {
            return (int) FDATASYNC.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * syscall(2): the raw system call {@code number} with six arguments (unused ones 0); returns the result or
     * -1 with errno.
     */
    public static long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) {
        try {
            return (long) SYSCALL6.invokeExact(CAPTURED.get(), number, a1, a2, a3, a4, a5, a6);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** mmap(2) of {@code length} bytes; throws on failure (control path: rings and buffers are mapped once). */
    public static MemorySegment checkedMmap(long length, int prot, int flags, int fd, long offset, String what)
            throws ErrnoException {
        try {
            MemorySegment m = (MemorySegment)
                    MMAP.invokeExact(CAPTURED.get(), MemorySegment.NULL, length, prot, flags, fd, offset);
            if (m.address() == -1L) {
                throw new ErrnoException("mmap(" + what + ")", errno());
            }
            return m.reinterpret(length);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** munmap(2) of a segment {@link #checkedMmap} returned; 0 or -1 with errno. */
    public static int munmap(MemorySegment mapping) {
        try {
            return (int) MUNMAP.invokeExact(CAPTURED.get(), mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    // ---- checked calls for the control path ----

    public static int checkedOpen(String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(CAPTURED.get(), arena.allocateFrom(path), flags | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new ErrnoException("open(" + path + ")", errno());
            }
            return fd;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void checkedClose(int fd) throws ErrnoException {
        if (close(fd) < 0) {
            throw new ErrnoException("close(" + fd + ")", errno());
        }
    }

    public static int checkedIoctl(int fd, long request, MemorySegment arg, String what) throws ErrnoException {
        int r = ioctl(fd, request, arg);
        if (r < 0) {
            throw new ErrnoException(what, errno());
        }
        return r;
    }

    public static int checkedIoctl(int fd, long request, long arg, String what) throws ErrnoException {
        int r = ioctl(fd, request, arg);
        if (r < 0) {
            throw new ErrnoException(what, errno());
        }
        return r;
    }

    public static void checkedMount(String source, String target, String fstype, long flags, String data)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) MOUNT.invokeExact(
                    CAPTURED.get(),
                    arena.allocateFrom(source),
                    arena.allocateFrom(target),
                    arena.allocateFrom(fstype),
                    flags,
                    arena.allocateFrom(data));
            if (r < 0) {
                throw new ErrnoException("mount(" + target + ")", errno());
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** umount2(2); returns 0 or the errno (EBUSY is an answer here, not an exception). */
    public static int umount2(String target, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) UMOUNT2.invokeExact(CAPTURED.get(), arena.allocateFrom(target), flags);
            return r < 0 ? errno() : 0;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
