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
 * statvfs(2) of a mounted filesystem, in bytes and inodes (what NodeGetVolumeStats reports; the JDK's FileStore
 * has no inode counts).
 *
 * <pre>
 * struct statvfs (glibc, 64-bit): f_bsize u64 @0 | f_frsize u64 @8 | f_blocks u64 @16 | f_bfree u64 @24 |
 *   f_bavail u64 @32 | f_files u64 @40 | f_ffree u64 @48 | f_favail u64 @56 | f_fsid u64 @64 | f_flag u64 @72 |
 *   f_namemax u64 @80 | spare int[6] @88                                                      (112 bytes)
 * </pre>
 *
 * @param totalBytes     f_blocks * f_frsize
 * @param freeBytes      f_bfree * f_frsize (including the blocks reserved for root)
 * @param availableBytes f_bavail * f_frsize (what an unprivileged writer can still use)
 * @param readOnly       ST_RDONLY in f_flag: mounted read-only, or remounted so after errors (ext4 errors=remount-ro)
 */
public record StatVfs(
        long totalBytes, long freeBytes, long availableBytes, long totalInodes, long freeInodes, boolean readOnly) {
    static final int SIZE = 112;
    private static final MethodHandle STATVFS =
            Libc.bind("statvfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), -1);
    private static final long ST_RDONLY = 1;

    /** Bytes in use: total minus free (reserved blocks are neither used nor available). */
    public long usedBytes() {
        return totalBytes - freeBytes;
    }

    public long usedInodes() {
        return totalInodes - freeInodes;
    }

    /** statvfs of {@code path}; an {@link ErrnoException} for a dead mount (ENOTCONN, EIO) or a missing path. */
    public static StatVfs of(Path path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(SIZE, 8);
            if (call(path.toString(), buf) != 0) {
                throw new ErrnoException("statvfs(" + path + ")", Libc.errno());
            }
            long frsize = buf.get(JAVA_LONG, 8);
            return new StatVfs(
                    buf.get(JAVA_LONG, 16) * frsize,
                    buf.get(JAVA_LONG, 24) * frsize,
                    buf.get(JAVA_LONG, 32) * frsize,
                    buf.get(JAVA_LONG, 40),
                    buf.get(JAVA_LONG, 48),
                    (buf.get(JAVA_LONG, 72) & ST_RDONLY) != 0);
        }
    }

    /** statvfs(2) into {@code buf} ({@link #SIZE} bytes); 0 or -1 with errno. */
    private static int call(String path, MemorySegment buf) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) STATVFS.invokeExact(Libc.captureState(), arena.allocateFrom(path), buf);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
