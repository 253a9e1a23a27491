package dev.vdisk.engine.split;

/** Where a {@link SplitTask} is. DONE, CANCELLED, FAILED and PAUSED are final for the running thread. */
public enum SplitPhase {
    /** Recorded in the catalog but not running (after an open, before {@code Pool.splits().resume()}). */
    QUEUED,
    /** Counting the work (COPY: the space it needs). */
    SCANNING,
    /** Filling holes, ascending segment index from the cursor. */
    FILLING,
    /** Every hole that read the backing is filled: dropping the association at a consistency point. */
    RELEASING,
    /** The clone no longer has a backing store. */
    DONE,
    /** Stopped by {@link SplitTask#cancel()} at a consistent point; resumable from the persisted cursor. */
    CANCELLED,
    /** Stopped by an unexpected error; the clone is correct; see the error message. */
    FAILED,
    /** Stopped because the pool ran out of space; the clone is correct and still backed; resumable. */
    PAUSED
}
