package dev.vdisk.engine.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.stream.Stream;

/**
 * Binds glibc functions through FFM for {@link OfdLock} and {@link KernelRanges}. A handle from {@link #downcall}
 * captures errno: its first argument is a segment of {@link #STATE} layout, read back with {@link #errno}. Binding
 * throws ({@code RuntimeException} or {@code LinkageError}) where the function is missing (not Linux, no glibc); the
 * callers catch that and run without the call.
 */
final class LibcCalls {
    /** The call state a {@link #downcall} handle writes errno into; allocate one per call. */
    static final StructLayout STATE = Linker.Option.captureStateLayout();

    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private LibcCalls() {}

    /** The errno the last call through a {@link #downcall} handle left in {@code state}. */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** Binds {@code name} capturing errno, with {@code options} such as {@code firstVariadicArg}. */
    static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all =
                Stream.concat(Stream.of(CAPTURE_ERRNO), Stream.of(options)).toArray(Linker.Option[]::new);
        return bind(name, descriptor, all);
    }

    /** Binds {@code name} without capturing errno, for a function that returns its error number. */
    static MethodHandle downcallWithoutErrno(String name, FunctionDescriptor descriptor) {
        return bind(name, descriptor);
    }

    /** {@code int open(const char *path, int flags, mode_t mode)}, capturing errno. */
    static MethodHandle open() {
        return downcall(
                "open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
    }

    /** {@code int close(int fd)}, capturing errno. */
    static MethodHandle close() {
        return downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    /** Closes {@code fd} through {@code close} (a {@link #close()} handle); an error of close(2) is ignored. */
    static void closeFd(MethodHandle close, int fd) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) close.invokeExact(a.allocate(STATE), fd);
            assert r == 0 || r == -1;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor, options);
    }
}
