package dev.vdisk.engine;

/**
 * The background thread that takes periodic consistency points ({@link Pool#maybeCheckpoint}). It used to be the
 * destager's job, between destage rounds: a point's data fsync (hundreds of MB under sequential writes) then stopped
 * all destaging, the slab filled and writers waited. On its own thread the point's first fsync runs while the
 * destager goes on (the point holds Pool.destageLock only for its final, short part).
 */
final class Checkpointer extends BackgroundLoop {
    private final Pool pool;

    Checkpointer(Pool pool) {
        super("checkpoint", pool.dir(), 1000);
        this.pool = pool;
    }

    /** Asks for a check now rather than at the next tick (the destager calls it after each round). */
    void wake() {
        if (lock.tryLock()) {
            try {
                signal.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    protected void awaitWorkLocked() throws InterruptedException {
        signal.awaitNanos(tickNanos(pool.options()));
    }

    @Override
    protected void round() {
        pool.maybeCheckpoint();
    }
}
