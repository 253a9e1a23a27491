package dev.vdisk.engine.journal;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.core.ThreadJoin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unlinks old journal files on virtual threads, in the order asked (each batch after the one before), so that neither
 * appends nor a consistency point wait for the unlinks (milliseconds each for a file whose pages are still cached).
 */
final class FileUnlinker {
    private static final Logger LOG = LoggerFactory.getLogger(FileUnlinker.class);

    /** The last batch's thread; null if none ran. */
    @GuardedBy("this")
    private Thread last;

    /** Starts unlinking {@code doomed}, in order, after the batches before. */
    synchronized void unlinkLater(List<Path> doomed) {
        Thread previous = last;
        last = Thread.ofVirtual().name("journal-delete").unstarted(() -> unlink(previous, doomed));
        last.start();
    }

    /** Waits for every batch started so far. */
    void awaitAll() {
        Thread t;
        synchronized (this) {
            t = last;
        }
        ThreadJoin.uninterruptibly(t);
    }

    private static void unlink(Thread previous, List<Path> doomed) {
        ThreadJoin.uninterruptibly(previous);
        for (Path p : doomed) {
            try {
                Files.deleteIfExists(p);
                LOG.debug("deleted journal file {}", p);
            } catch (IOException e) {
                LOG.warn("cannot delete old journal file {}: {}", p, e.toString());
            }
        }
    }
}
