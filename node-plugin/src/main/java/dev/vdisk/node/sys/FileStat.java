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
 * stat(2) of a file, for what the JDK does not report: the blocks a sparse file really occupies (the pool's data
 * file is sparse, so its size says nothing about the host space it holds).
 *
 * <pre>
 * struct stat (glibc; x86_64 and aarch64 agree on these offsets): st_mode u32 @24 (x86_64) / @16 (aarch64) |
 *   st_size i64 @48 | st_blocks i64 @64 (512-byte units)                                     (144 / 128 bytes)
 * </pre>
 *
 * @param sizeBytes      st_size
 * @param allocatedBytes st_blocks * 512
 */
public record FileStat(long sizeBytes, long allocatedBytes) {
    static final int SIZE = 144;
    private static final MethodHandle STAT = Libc.bind("stat", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), -1);

    public static FileStat of(Path path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(SIZE, 8);
            if (call(path.toString(), buf) != 0) {
                throw new ErrnoException("stat(" + path + ")", Libc.errno());
            }
            return new FileStat(buf.get(JAVA_LONG, 48), buf.get(JAVA_LONG, 64) * 512);
        }
    }

    /** stat(2) into {@code buf} ({@link #SIZE} bytes); 0 or -1 with errno. */
    private static int call(String path, MemorySegment buf) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) STAT.invokeExact(Libc.captureState(), arena.allocateFrom(path), buf);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
