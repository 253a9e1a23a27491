package dev.vdisk.node.handover;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.vdisk.node.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes on raw descriptors, and pipe2(2): a pipe's read end tells whether any write end is still open
 * anywhere (EOF only when none is), which is how the tests see that a descriptor is held, or was closed.
 */
final class TestPipe {
    static final int O_NONBLOCK = 0x800;
    private static final MethodHandle PIPE2 = Linker.nativeLinker()
            .downcallHandle(
                    Linker.nativeLinker().defaultLookup().find("pipe2").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    private TestPipe() {}

    /** {read end, write end}, non-blocking, close-on-exec. */
    static int[] open() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            if ((int) PIPE2.invokeExact(fds, O_NONBLOCK | Libc.O_CLOEXEC) != 0) {
                throw new AssertionError("pipe2 failed");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    static void write(int fd, String text) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            long n = Libc.write(fd, arena.allocateFrom(JAVA_BYTE, bytes), bytes.length);
            if (n != bytes.length) {
                throw new AssertionError("write to fd " + fd + " returned " + n + " (errno " + Libc.errno() + ")");
            }
        }
    }

    /** What a non-blocking read gets now: the bytes, "EOF" (no writer left) or "EAGAIN" (writers, nothing written). */
    static String read(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096);
            long n = Libc.read(fd, buffer, 4096);
            if (n < 0) {
                return Libc.errno() == Libc.EAGAIN ? "EAGAIN" : "errno " + Libc.errno();
            }
            return n == 0 ? "EOF" : new String(buffer.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }
}
