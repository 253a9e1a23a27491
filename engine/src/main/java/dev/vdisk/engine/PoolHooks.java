package dev.vdisk.engine;

import dev.vdisk.engine.error.PoolClosedException;

/** The pool-wide decisions a vdisk's I/O asks its pool for (implemented by {@link PointTriggers}). */
interface PoolHooks {
    /** Throws {@link PoolClosedException} once the pool is closed. */
    void checkOpen();

    /** Counts one foreground read, write or discard (idle-only splits watch the rate). */
    void noteForegroundIo();

    /** Backpressure on the journal: waits while it is beyond its hard limit. */
    void throttle();

    /** After a failed reservation: destages everything and takes a point; false if that cannot free anything. */
    boolean checkpointToFreeSpace();

    /** Whether writes may go to the data space in place now (no deletion's point is pending). */
    boolean inPlaceAllowed();
}
