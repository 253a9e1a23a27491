package dev.vdisk.engine.core;

/** Waiting for the engine's own background threads to end when they are stopped. */
public final class ThreadJoin {
    private ThreadJoin() {}

    /**
     * Joins {@code t} (nothing if it is null or the caller itself), even if the caller is interrupted meanwhile: a
     * stop must not return while the thread may still touch the files being closed. The interrupt is kept for the
     * caller.
     */
    public static void uninterruptibly(Thread t) {
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
