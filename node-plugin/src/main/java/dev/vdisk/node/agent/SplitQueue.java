package dev.vdisk.node.agent;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitProgress;
import dev.vdisk.engine.split.SplitTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits at most {@code maxRunning} engine splits of the pool at once and holds the rest back, first come first
 * started: every split reads and writes the whole clone, so many at once would starve the volumes' foreground I/O.
 * It also remembers how each split it watched ended.
 *
 * <p>Persistence ({@link SplitRecords}): the waiting requests, the started ones whose split has not ended, and the
 * final status of finished splits are written through on every change, so a restart re-queues what was waiting
 * ({@link #restore}) and still reports DONE, FAILED and CANCELLED with their counts. Splits that had started are the
 * engine's to resume ({@link #adopt}) once its record is durable, which is at its next consistency point, not at
 * {@code Pool.splits().start}: until the split ends its request stays in the records too.
 *
 * <p>The rule across a crash: the records file is the user's intent, the engine's durable record only says how far
 * the work got. A recorded request whose split the engine did not resume at start is started again by
 * {@link #restore}: the engine has no record of it (the crash came before the point that would have made it durable)
 * or its durable record still says CANCELLED or PAUSED (the user resumed it and the crash came before the next
 * point); {@code Pool.splits().start} then continues from the durable cursor. A cancel ({@link #cancelStarted}) is the
 * mirror: it first drops the request from the records (written through), then asks the engine to cancel and waits
 * until the task ended, which is after the engine took the consistency point holding the CANCELLED record; so an
 * acknowledged cancel is neither resumed by the engine (its record is no longer RUNNING) nor restarted by
 * {@link #restore} (no request is left).
 *
 * <p>Threads: callers (agent operations, under the volume's lock) enqueue and cancel; one virtual thread per admitted
 * split ({@code vdisk-split-watch-ID}) waits for the engine task to finish and then admits the next waiting split.
 * All state is guarded by {@link #lock}, which is never held while waiting; {@code Pool.splits().start} and the records file
 * are written under it (the pool takes only its own locks, never one of ours).
 */
final class SplitQueue {
    private static final Logger LOG = LoggerFactory.getLogger(SplitQueue.class);

    private final Pool pool;
    private final int maxRunning;
    private final SplitRecords records;
    private final ReentrantLock lock = new ReentrantLock();
    // @GuardedBy("lock")
    private final LinkedHashMap<String, SplitRecords.Queued> waiting = new LinkedHashMap<>();
    /** Requests handed to the engine whose split has not ended (persisted with the waiting ones), by volume. */
    // @GuardedBy("lock")
    private final LinkedHashMap<String, SplitRecords.Queued> started = new LinkedHashMap<>();
    // @GuardedBy("lock")
    private final Set<String> running = new HashSet<>();
    /** How the splits that ended (in this process or before a restart) ended, by volume. */
    // @GuardedBy("lock")
    private final LinkedHashMap<String, SplitStatus> finished = new LinkedHashMap<>();
    // @GuardedBy("lock")
    private boolean closed;

    SplitQueue(Pool pool, int maxRunning, SplitRecords records) {
        if (maxRunning < 1) {
            throw new IllegalArgumentException("max splits must be at least 1, got " + maxRunning);
        }
        this.pool = pool;
        this.maxRunning = maxRunning;
        this.records = records;
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

    /**
     * At start, after {@link #adopt}: loads the finished statuses and queues again, in their order, the requests
     * that had started and those that were waiting, as far as {@code stillWanted} (the volume exists and still reads
     * through a snapshot, and the engine did not resume a split of it: it has no record, or one that says CANCELLED
     * or PAUSED, which the user's request overrides) says; they start as slots are free.
     */
    void restore(Predicate<String> stillWanted) {
        SplitRecords.Contents c = records.read();
        lock.lock();
        try {
            c.finished().forEach(s -> finished.put(s.volumeId(), s));
            for (SplitRecords.Queued q : c.queued()) {
                if (!stillWanted.test(q.volumeId())) {
                    LOG.info(
                            "dropping the recorded {} split request of volume {}: the engine resumed it, or nothing is"
                                    + " left to split",
                            q.mode(),
                            q.volumeId());
                    continue;
                }
                finished.remove(q.volumeId());
                if (running.size() < maxRunning) {
                    tryStart(q);
                } else {
                    waiting.put(q.volumeId(), q);
                }
                LOG.info("restored the queued {} split of volume {}", q.mode(), q.volumeId());
            }
            persist();
        } finally {
            lock.unlock();
        }
    }

    /** Starts the split if a slot is free, else queues it; returns its status either way. */
    SplitStatus submit(String volumeId, SplitMode mode, long rateBytesPerSecond) {
        lock.lock();
        try {
            finished.remove(volumeId);
            SplitRecords.Queued w = new SplitRecords.Queued(volumeId, mode, rateBytesPerSecond);
            if (running.size() < maxRunning) {
                SplitStatus s = status(start(w).progress(), false);
                persist();
                return s;
            }
            waiting.put(volumeId, w);
            persist();
            LOG.info(
                    "queued {} split of volume {} ({} running, {} waiting)",
                    mode,
                    volumeId,
                    running.size(),
                    waiting.size());
            return queuedStatus(w);
        } finally {
            lock.unlock();
        }
    }

    /** Cancels the volume's waiting request, recorded as CANCELLED; true if there was one. */
    boolean cancelQueued(String volumeId) {
        lock.lock();
        try {
            SplitRecords.Queued w = waiting.remove(volumeId);
            if (w == null) {
                return false;
            }
            finished.put(
                    volumeId,
                    new SplitStatus(
                            volumeId,
                            w.mode().name().toLowerCase(),
                            "CANCELLED",
                            0,
                            0,
                            0,
                            0,
                            0,
                            -1,
                            "cancelled while queued",
                            false));
            persist();
            LOG.info("cancelled the queued split of volume {}", volumeId);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Cancels a split the engine runs and returns once it ended: first the request leaves the records (written
     * through, so {@link #restore} cannot start it again), then the engine is asked to cancel, whose task ends only
     * after a consistency point made its CANCELLED record durable (so the engine does not resume it after a crash).
     * Waits without holding {@link #lock}; the task stops after its current run (at most about 1 MiB of copying or a
     * throttle sleep of 50 ms, then the point).
     */
    void cancelStarted(SplitTask t) {
        String volumeId = t.vdiskName();
        lock.lock();
        try {
            if (started.remove(volumeId) != null) {
                persist();
            }
        } finally {
            lock.unlock();
        }
        t.cancel();
        LOG.info("cancelling the {} split of volume {}", t.mode(), volumeId);
        long t0 = System.nanoTime();
        while (t.running()) {
            t.await(Duration.ofSeconds(10));
            if (t.running()) {
                LOG.warn(
                        "the cancelled split of volume {} has not stopped after {} s",
                        volumeId,
                        (System.nanoTime() - t0) / 1_000_000_000L);
            }
        }
        LOG.info("split of volume {} stopped: {}", volumeId, t.progress().phase());
    }

    /** The volume is deleted: forgets its waiting request and its final status. */
    void forget(String volumeId) {
        lock.lock();
        try {
            boolean had = waiting.remove(volumeId) != null;
            if (had | finished.remove(volumeId) != null | started.remove(volumeId) != null) {
                persist();
            }
            if (had) {
                LOG.info("dropped the queued split of deleted volume {}", volumeId);
            }
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

    /** How the volume's last split ended, if it ended while this agent or a predecessor watched it. */
    Optional<SplitStatus> finishedStatus(String volumeId) {
        lock.lock();
        try {
            return Optional.ofNullable(finished.get(volumeId));
        } finally {
            lock.unlock();
        }
    }

    /** Every finished split's status. */
    List<SplitStatus> finished() {
        lock.lock();
        try {
            return List.copyOf(finished.values());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops admitting (the pool is closing; its tasks stop on their own and the engine resumes them at the next
     * start). The waiting requests stay in the records for the next start.
     */
    void close() {
        lock.lock();
        try {
            closed = true;
            if (!waiting.isEmpty()) {
                LOG.info("keeping {} queued splits for the next start: {}", waiting.size(), waiting.keySet());
            }
        } finally {
            lock.unlock();
        }
    }

    private SplitTask start(SplitRecords.Queued w) {
        SplitTask t = pool.splits()
                .start(w.volumeId(), w.mode(), SplitOptions.defaults().withRate(w.rateBytesPerSecond()));
        if (t.running()) {
            started.put(w.volumeId(), w); // persisted by the caller: the engine's record is not durable yet
        }
        watch(t);
        return t;
    }

    /** Starts a request taken off the queue; one may fail at once (e.g. deleted meanwhile), recorded as FAILED. */
    private void tryStart(SplitRecords.Queued next) {
        try {
            start(next);
        } catch (EngineException | IllegalStateException e) {
            LOG.warn("queued split of volume {} could not start: {}", next.volumeId(), e.getMessage());
            finished.put(
                    next.volumeId(),
                    new SplitStatus(
                            next.volumeId(),
                            next.mode().name().toLowerCase(),
                            "FAILED",
                            0,
                            0,
                            0,
                            0,
                            0,
                            -1,
                            e.getMessage(),
                            false));
        }
    }

    private void watch(SplitTask t) {
        if (!t.running()) {
            if (t.progress().finished()) {
                finished.put(t.vdiskName(), status(t.progress(), false));
            }
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
            finished(volumeId, p);
        });
    }

    /**
     * A split ended: records how, then starts waiting splits until the slots are full. After {@link #close} the end
     * is the pool stopping the task (it resumes at the next start), so nothing is recorded.
     */
    private void finished(String volumeId, SplitProgress p) {
        lock.lock();
        try {
            running.remove(volumeId);
            if (closed) {
                return; // the pool stopped the task; its close makes the engine's record durable
            }
            started.remove(volumeId);
            finished.put(volumeId, status(p, false));
            while (running.size() < maxRunning && !waiting.isEmpty()) {
                tryStart(waiting.pollFirstEntry().getValue());
            }
            persist();
        } catch (RuntimeException e) {
            LOG.error("recording the end of the split of volume {} failed", volumeId, e);
        } finally {
            lock.unlock();
        }
    }

    /** Writes the queue and the finished statuses through; the caller holds {@link #lock}. */
    private void persist() {
        List<SplitRecords.Queued> requests = new ArrayList<>(started.values());
        requests.addAll(waiting.values());
        records.write(requests, finished.values());
    }

    static SplitStatus status(SplitProgress p, boolean queued) {
        return new SplitStatus(
                p.vdiskName(),
                p.mode().name().toLowerCase(),
                p.phase().name(),
                p.segmentsScanned(),
                p.segmentsTotal(),
                p.segmentsFilled(),
                p.bytesRelocated(),
                p.bytesToRelocate(),
                p.bytesPerSecond(),
                p.etaSeconds(),
                p.error(),
                queued);
    }

    private static SplitStatus queuedStatus(SplitRecords.Queued w) {
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
