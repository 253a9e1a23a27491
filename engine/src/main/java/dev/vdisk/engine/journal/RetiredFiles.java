package dev.vdisk.engine.journal;

import dev.vdisk.engine.core.GuardedBy;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's files rotated out but not yet synced, and whether the directory needs a sync for new file names.
 * Rotation retires a full file instead of syncing it under the append lock; the next group-commit leader takes what is
 * pending ({@link #takePending}), syncs it outside every lock and closes it ({@link #sync}). Guarded by the journal's
 * append lock, which {@link #sync} takes itself, briefly and never across an fsync.
 */
final class RetiredFiles {
    private static final Logger LOG = LoggerFactory.getLogger(RetiredFiles.class);
    private final Path dir;
    /** {@link Journal}'s appendLock. */
    private final ReentrantLock appendLock;
    /** Files rotated out but not yet synced, oldest first; the group-commit leader syncs and closes them. */
    @GuardedBy("appendLock")
    private final List<Retired> retired = new ArrayList<>();
    /** A file was created since the directory was last synced. */
    @GuardedBy("appendLock")
    private boolean dirUnsynced;

    record Retired(Path path, FileChannel channel) {}

    /** What one group-commit leader syncs: retired files, and the directory if {@code syncDir}. */
    record Pending(List<Retired> files, boolean syncDir) {}

    RetiredFiles(Path dir, ReentrantLock appendLock) {
        this.dir = dir;
        this.appendLock = appendLock;
    }

    /** A full file leaves the active slot; the next group commit syncs and closes it. */
    @GuardedBy("appendLock")
    void retire(Path path, FileChannel channel) {
        retired.add(new Retired(path, channel));
    }

    /** A journal file was created: the directory needs a sync. */
    @GuardedBy("appendLock")
    void fileCreated() {
        dirUnsynced = true;
    }

    /** The directory was synced by the caller. */
    @GuardedBy("appendLock")
    void dirSynced() {
        dirUnsynced = false;
    }

    @GuardedBy("appendLock")
    boolean isEmpty() {
        return retired.isEmpty();
    }

    /** What the group-commit leader must sync; the directory counts as synced from now (undone if that fails). */
    @GuardedBy("appendLock")
    Pending takePending() {
        List<Retired> old = retired.isEmpty() ? List.of() : List.copyOf(retired);
        boolean syncDir = dirUnsynced;
        dirUnsynced = false;
        return new Pending(old, syncDir);
    }

    /** Syncs rotated files (oldest first) and the directory, then forgets and closes those files. */
    void sync(Pending pending) {
        List<Retired> old = pending.files();
        boolean syncDir = pending.syncDir();
        try {
            for (Retired r : old) {
                JournalFiles.force(r.channel(), r.path());
            }
            if (syncDir) {
                JournalFiles.syncDir(dir);
            }
        } catch (RuntimeException e) {
            if (syncDir) {
                appendLock.lock();
                dirUnsynced = true;
                appendLock.unlock();
            }
            throw e;
        }
        if (old.isEmpty()) {
            return;
        }
        appendLock.lock();
        try {
            retired.removeAll(old);
        } finally {
            appendLock.unlock();
        }
        for (Retired r : old) {
            try {
                r.channel().close();
            } catch (IOException e) {
                LOG.warn("closing journal file {} failed: {}", r.path(), e.toString());
            }
        }
    }

    /** At shutdown: closes every retired file, after syncing them and the directory if {@code sync}. */
    @GuardedBy("appendLock")
    void closeAll(boolean sync) throws IOException {
        for (Retired r : retired) {
            if (sync) {
                r.channel().force(false);
            }
            r.channel().close();
        }
        retired.clear();
        if (sync && dirUnsynced) {
            JournalFiles.syncDir(dir);
            dirUnsynced = false;
        }
    }
}
