package dev.vdisk.engine.split;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.io.DataSpace;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * What a split needs of its pool: the services it fills holes with, the pool's consistency points, and the release
 * (step 5 of {@link Splitter}'s protocol), which changes the pool's catalog and so runs on the pool's side.
 */
public interface SplitHost {
    int segmentSize();

    Allocator allocator();

    DataSpace data();

    /** Held around every map change of the pool (maps change only under it): a run's hole test and install hold it. */
    ReentrantLock destageLock();

    /** Throws the pool's closed exception once it is closed. */
    void checkOpen();

    long checkpointIntervalMillis();

    /** Foreground I/O operations of the pool so far (idle-only splits watch its rate). */
    long foregroundOps();

    /** Takes a consistency point (persists the split's cursor with the map). */
    void checkpoint(String why);

    /** Destages everything and takes a point so that freed segments move towards reuse; false if that cannot help. */
    boolean checkpointToFreeSpace();

    /**
     * Step 5 of the protocol, under the pool's locks: if {@code firstHoleReadingData} finds no hole of {@code clone}
     * that still reads data through its chain, drops the backing and the split record, frees a hidden former backing
     * that lost its last dependent and takes a consistency point, returning -1; else returns that hole and changes
     * nothing.
     */
    long release(SplitClone clone, LongSupplier firstHoleReadingData);
}
