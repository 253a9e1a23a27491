package dev.vdisk.engine;

/** {@link ChildProcessKill} for the crash tests of engine subpackages. */
public final class ReplicaChildKill {
    private ReplicaChildKill() {}

    /** SIGKILLs {@code child} and waits until {@code reader} has read all it printed. */
    public static void sigkillAndReadAll(Process child, Thread reader) throws InterruptedException {
        ChildProcessKill.sigkillAndReadAll(child, reader, 0);
    }
}
