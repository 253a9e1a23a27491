package dev.vdisk.node.handover;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/** gettid(2) and tgkill(2): a signal to one thread, to interrupt a system call it is blocked in (EINTR). */
final class ThreadSignal {
    private static final int SIGPIPE = 13;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GETTID = handle("gettid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETPID = handle("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle TGKILL =
            handle("tgkill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));

    private ThreadSignal() {}

    /** The kernel's id of the calling (platform) thread. */
    static int currentTid() throws Throwable {
        return (int) GETTID.invokeExact();
    }

    /** SIGPIPE to thread {@code tid} of this process: the JVM handles it (ignores it), so a blocked call gets EINTR. */
    static void sigpipe(int tid) throws Throwable {
        if ((int) TGKILL.invokeExact((int) GETPID.invokeExact(), tid, SIGPIPE) != 0) {
            throw new AssertionError("tgkill failed");
        }
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
    }
}
