package dev.vdisk.engine;

import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.io.OfdLock;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The locks an open pool holds, taken in this order and released in reverse: {@code DIR/pool.lock} (the directory:
 * guards {@code pool.properties}, names the holder's pid), then an {@link OfdLock} on the data file or device, then one
 * on {@code journal.lock} in the journal directory. The directory lock alone let a copy of a live pool's directory,
 * whose {@code pool.properties} still named the original's files, open those files a second time (issue 15): the files
 * themselves are locked now, whatever path reached them.
 */
final class PoolLocks implements AutoCloseable {
    /** In the journal directory; not a {@code .log} file, so the journal ignores it. */
    static final String JOURNAL_LOCK = "journal.lock";

    private final PoolFiles.Lock dirLock;
    private OfdLock dataLock;
    private OfdLock journalLock;

    private PoolLocks(PoolFiles.Lock dirLock) {
        this.dirLock = dirLock;
    }

    /** Takes the directory's lock ({@link PoolLockedException} naming the holder's pid if taken). */
    static PoolLocks lockDirectory(Path dir) {
        return new PoolLocks(PoolFiles.lock(dir));
    }

    /**
     * Locks the data file or device and the journal directory (created if missing) of {@code layout}.
     *
     * @throws PoolLockedException if another open pool holds either, in this process or another
     */
    void lockFiles(Path dir, PoolFiles.Layout layout) {
        dataLock = lock(
                layout.data(),
                false,
                layout.device()
                        ? "data device " + layout.data()
                        : "data file " + layout.data().getFileName(),
                dir);
        try {
            PrivateFiles.createDirectories(layout.journal());
        } catch (IOException e) {
            throw new EngineIOException("cannot create journal directory " + layout.journal() + ": " + e, e);
        }
        journalLock = lock(layout.journal().resolve(JOURNAL_LOCK), true, "journal", dir);
    }

    private static OfdLock lock(Path file, boolean create, String what, Path dir) {
        OfdLock l;
        try {
            l = OfdLock.tryLock(file, create);
        } catch (IOException e) {
            throw new EngineIOException(
                    "cannot lock the " + what + " of pool " + dir + " (" + e.getMessage()
                            + "); check that it exists and is writable",
                    e);
        }
        if (l == null) {
            throw new PoolLockedException("the " + what + " of pool " + dir + " is in use by another open pool (another"
                    + " process, or a copy of a pool directory whose pool.properties names the same files); stop the"
                    + " other user first; a copied directory must not name the original's files: rebuild its"
                    + " pool.properties from its own data with 'vdisk pool import'");
        }
        return l;
    }

    @Override
    public void close() {
        if (journalLock != null) {
            journalLock.close();
        }
        if (dataLock != null) {
            dataLock.close();
        }
        dirLock.close();
    }
}
