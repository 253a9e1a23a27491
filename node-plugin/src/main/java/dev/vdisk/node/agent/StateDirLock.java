package dev.vdisk.node.agent;

import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The node agent's lock on its state directory ({@code agent.lock}): one agent per state directory, since a second
 * one would take the FUSE mount of the first for stale. Held from start to {@link NodeAgent#close}.
 */
final class StateDirLock {
    private final FileChannel file;
    private final FileLock lock;

    private StateDirLock(FileChannel file, FileLock lock) {
        this.file = file;
        this.lock = lock;
    }

    /** Takes the lock, or says which directory another agent uses; creates the directory (0700) if missing. */
    static StateDirLock take(Path stateDir) throws IOException {
        PrivateFiles.createDirectories(stateDir);
        FileChannel file =
                PrivateFiles.open(stateDir.resolve("agent.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = file.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process (an agent started twice in one JVM)
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
        if (lock == null) {
            file.close();
            throw new IOException("another vdisk node agent is using the state directory " + stateDir
                    + "; give each agent its own --state-dir");
        }
        return new StateDirLock(file, lock);
    }

    void release() throws IOException {
        try {
            lock.release();
        } finally {
            file.close();
        }
    }
}
