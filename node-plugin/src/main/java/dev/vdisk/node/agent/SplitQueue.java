package dev.vdisk.node.agent;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.engine.EngineException;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.SplitMode;
import dev.vdisk.engine.SplitOptions;
import dev.vdisk.engine.SplitProgress;
import dev.vdisk.engine.SplitTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits at most {@code maxRunning} engine splits of the pool at once and holds the rest back, first come first
 * started: every split reads and writes the whole clone, so many at once would starve the volumes' foreground I/O.
 *
 * <p>Threads: callers (agent operations, under the volume's lock) enqueue and cancel; one virtual thread per admitted
 * split ({@code vdisk-split-watch-ID}) waits for the engine task to finish and then admits the next waiting split.
 * All state is guarded by {@link #lock}, which is never held while waiting; {@link Pool#split} is called under it
 * (the pool takes only its own locks, never one of ours). Queued requests live in memory only: a restart forgets
 * them, while the engine resumes splits that had started ({@link #adopt}).
 */
final class SplitQueue {
    private static final Logger LOG = LoggerFactory.getLogger(SplitQueue.class);

    /** A split waiting for a free slot. */
    record Waiting(String volumeId, SplitMode mode, long rateBytesPerSecond) {}

    private final Pool pool;
    private final int maxRunning;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<String, Waiting> waiting = new LinkedHashMap<>();
    private final Set<String> running = new HashSet<>();
    private boolean closed;

    SplitQueue(Pool pool, int maxRunning) {
        if (maxRunning < 1) {
            throw new IllegalArgumentException("max splits must be at least 1, got " + maxRunning);
        }
        this.pool = pool;
        this.maxRunning = maxRunning;
    }

    /** Watches splits the engine resumed at start; they count against the limit (so may exceed it for a while). */
    void adopt(Collection<SplitTask> resumed) {
        lock.lock();
        try {
            resumed.forEach(this::watch);
        } finally {
            lock.unlock();
        }
    }

    /** Starts the split if a slot is free, else queues it; returns its status either way. */
    SplitStatus submit(String volumeId, SplitMode mode, long rateBytesPerSecond) {
        lock.lock();
        try {
            if (running.size() < maxRunning) {
                return status(start(volumeId, mode, rateBytesPerSecond).progress(), false);
            }
            Waiting w = new Waiting(volumeId, mode, rateBytesPerSecond);
            waiting.put(volumeId, w);
            LOG.info("queued {} split of volume {} ({} running, {} waiting)", mode, volumeId, running.size(),
                    waiting.size());
            return queuedStatus(w);
        } finally {
            lock.unlock();
        }
    }

    /** Drops the volume's waiting request; true if there was one. */
    boolean remove(String volumeId) {
        lock.lock();
        try {
            boolean had = waiting.remove(volumeId) != null;
            if (had) {
                LOG.info("dropped the queued split of volume {}", volumeId);
            }
            return had;
        } finally {
            lock.unlock();
        }
    }

    /** Every waiting request's status, in queue order. */
    List<SplitStatus> queued() {
        lock.lock();
        try {
            return waiting.values().stream().map(SplitQueue::queuedStatus).toList();
        } finally {
            lock.unlock();
        }
    }

    /** Stops admitting (the pool is closing; its tasks stop on their own). */
    void close() {
        lock.lock();
        try {
            closed = true;
            if (!waiting.isEmpty()) {
                LOG.info("forgetting {} queued splits at shutdown: {}", waiting.size(), waiting.keySet());
            }
            waiting.clear();
        } finally {
            lock.unlock();
        }
    }

    private SplitTask start(String volumeId, SplitMode mode, long rate) {
        SplitTask t = pool.split(volumeId, mode, SplitOptions.defaults().withRate(rate));
        watch(t);
        return t;
    }

    private void watch(SplitTask t) {
        if (!t.running()) {
            return;
        }
        String volumeId = t.vdiskName();
        running.add(volumeId);
        Thread.ofVirtual().name("vdisk-split-watch-" + volumeId).start(() -> {
            SplitProgress p = t.progress();
            while (t.running()) {
                p = t.await(Duration.ofMinutes(1));
            }
            LOG.info("split of volume {} ended: {} {}", volumeId, p.phase(), p.error() == null ? "" : p.error());
            finished(volumeId);
        });
    }

    /** A slot is free: start waiting splits until the slots are full (one may fail at once, e.g. deleted meanwhile). */
    private void finished(String volumeId) {
        lock.lock();
        try {
            running.remove(volumeId);
            while (!closed && running.size() < maxRunning && !waiting.isEmpty()) {
                Waiting next = waiting.pollFirstEntry().getValue();
                try {
                    start(next.volumeId(), next.mode(), next.rateBytesPerSecond());
                } catch (EngineException | IllegalStateException e) {
                    LOG.warn("queued split of volume {} could not start: {}", next.volumeId(), e.getMessage());
                }
            }
        } finally {
            lock.unlock();
        }
    }

    static SplitStatus status(SplitProgress p, boolean queued) {
        return new SplitStatus(p.vdiskName(), p.mode().name().toLowerCase(), p.phase().name(), p.segmentsScanned(),
                p.segmentsTotal(), p.segmentsFilled(), p.bytesRelocated(), p.bytesPerSecond(), p.etaSeconds(),
                p.error(), queued);
    }

    private static SplitStatus queuedStatus(Waiting w) {
        return new SplitStatus(w.volumeId(), w.mode().name().toLowerCase(), "QUEUED", 0, 0, 0, 0, 0, -1, "", true);
    }

    /** For tests and logs: the volumes whose split runs now. */
    List<String> running() {
        lock.lock();
        try {
            return new ArrayList<>(running);
        } finally {
            lock.unlock();
        }
    }
}
