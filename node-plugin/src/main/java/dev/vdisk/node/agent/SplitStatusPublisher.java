package dev.vdisk.node.agent;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.api.agent.SplitStatusFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites {@code <pool>/split-status} ({@link SplitStatusFile}) every second with the agent's splits, so that
 * {@code vdisk split --status} can report them while the agent holds the pool. One virtual thread; {@link #close}
 * stops it and deletes the file (a reader then finds the pool unlocked and reads the engine's records itself).
 */
final class SplitStatusPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SplitStatusPublisher.class);
    static final long PERIOD_MILLIS = 1000;

    private final Path poolDir;
    private final Thread thread;
    private volatile boolean stopped;

    private SplitStatusPublisher(Path poolDir, Supplier<List<SplitStatus>> splits) {
        this.poolDir = poolDir;
        long pid = ProcessHandle.current().pid();
        this.thread = Thread.ofVirtual().name("vdisk-split-status").unstarted(() -> {
            boolean warned = false;
            while (!stopped) {
                try {
                    SplitStatusFile.write(poolDir, pid, System.currentTimeMillis(), splits.get());
                    warned = false;
                } catch (IOException | RuntimeException e) {
                    if (!warned && !stopped) {
                        LOG.warn("writing the split status file in {} failed: {}", poolDir, e.toString());
                        warned = true; // once per failure streak, not once a second
                    }
                }
                try {
                    Thread.sleep(PERIOD_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    static SplitStatusPublisher start(Path poolDir, Supplier<List<SplitStatus>> splits) {
        SplitStatusPublisher p = new SplitStatusPublisher(poolDir, splits);
        p.thread.start();
        return p;
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(5000);
            SplitStatusFile.delete(poolDir);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.warn("deleting the split status file in {} failed: {}", poolDir, e.toString());
        }
    }
}
