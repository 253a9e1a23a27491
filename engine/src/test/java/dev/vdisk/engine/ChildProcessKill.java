package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Kills a child JVM of a crash test as the kernel would (SIGKILL) without dropping what it printed.
 * {@link Process#destroyForcibly()} also closes our ends of the child's pipes, so lines the child wrote but our
 * reader thread had not read yet are lost; under load that was a whole round's tail ("DELETING x" among them), and
 * the tests then expected objects the child had legitimately deleted. The process handle only sends the signal.
 */
final class ChildProcessKill {
    private ChildProcessKill() {}

    /** Sends SIGKILL and waits for the child to be gone; its output stays readable up to end-of-file. */
    static void sigkill(Process child) throws InterruptedException {
        child.toHandle().destroyForcibly();
        child.waitFor();
    }

    /**
     * {@link #sigkill} and then waits for {@code reader} to have read every line the child printed (its stdout
     * reaches end-of-file once it is dead): a line not yet parsed, such as {@code DELETING x}, would make the test
     * expect an object the child had legitimately deleted.
     */
    static void sigkillAndReadAll(Process child, Thread reader, int round) throws InterruptedException {
        sigkill(child);
        reader.join(60_000);
        assertFalse(reader.isAlive(), "round " + round + ": the child's output was not fully read");
    }
}
