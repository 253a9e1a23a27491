package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.engine.Lineage;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitProgress;
import dev.vdisk.engine.split.SplitTask;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's clone splits: started, cancelled and reported under the volume's lock, run by the agent's
 * {@link SplitQueue} (which {@link NodeAgent} owns and closes). Called by {@link NodeAgent} on the caller's thread.
 */
final class SplitOperations {
    private static final Logger LOG = LoggerFactory.getLogger(SplitOperations.class);

    private final Pool pool;
    private final VolumeLocks locks;
    private final SplitQueue splitQueue;
    /** Whether a volume of that ID exists; the caller holds its lock. */
    private final Predicate<String> volumeExists;

    SplitOperations(Pool pool, VolumeLocks locks, SplitQueue splitQueue, Predicate<String> volumeExists) {
        this.pool = pool;
        this.locks = locks;
        this.splitQueue = splitQueue;
        this.volumeExists = volumeExists;
    }

    SplitStatus start(String volumeId, String mode, long rateBytesPerSecond) {
        SplitMode m =
                switch (mode) {
                    case "share" -> SplitMode.SHARE;
                    case "copy" -> SplitMode.COPY;
                    default ->
                        throw new AgentException(
                                AgentReason.INVALID_ARGUMENT,
                                "split mode '" + mode + "' of volume " + volumeId + " is neither share nor copy");
                };
        if (rateBytesPerSecond < 0) {
            throw new AgentException(
                    AgentReason.INVALID_ARGUMENT,
                    "split rate " + rateBytesPerSecond + " of volume " + volumeId + " is negative");
        }
        try (var held = locks.lock(volumeId)) {
            if (!volumeExists.test(volumeId)) {
                throw new AgentException(AgentReason.NOT_FOUND, "volume " + volumeId + " does not exist");
            }
            Optional<SplitStatus> current = splitStatusWithoutLocking(volumeId);
            if (current.isPresent() && (current.get().queued() || isRunningOrDone(current.get()))) {
                if (!current.get().mode().equals(mode)) {
                    throw new AgentException(
                            AgentReason.FAILED_PRECONDITION,
                            "a " + current.get().mode() + " split of"
                                    + " volume " + volumeId + " is "
                                    + current.get().phase().toLowerCase() + "; modes cannot"
                                    + " be mixed");
                }
                return current.get();
            }
            // a cancelled or paused split still has its backing; the engine resumes it from its cursor
            if (current.isEmpty() && backingDepth(volumeId) == 0) {
                throw new AgentException(
                        AgentReason.FAILED_PRECONDITION, "volume " + volumeId + " has no backing snapshot");
            }
            SplitStatus s = splitQueue.submit(volumeId, m, rateBytesPerSecond);
            LOG.info(
                    "split of volume {} requested: {} at {} B/s, {}",
                    volumeId,
                    mode,
                    rateBytesPerSecond,
                    s.queued() ? "queued" : "started");
            return s;
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    Optional<SplitStatus> status(String volumeId) {
        return EngineFailures.translating(() -> splitStatusWithoutLocking(volumeId));
    }

    void cancel(String volumeId) {
        try (var held = locks.lock(volumeId)) {
            if (splitQueue.cancelQueued(volumeId)) {
                return;
            }
            if (VolumeIds.usable(volumeId)) {
                // returns once the CANCELLED record is durable: an acknowledged cancel survives a crash
                pool.splits().task(volumeId).filter(SplitTask::running).ifPresent(splitQueue::cancelStarted);
            }
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    List<SplitStatus> all() {
        Map<String, SplitStatus> out = new TreeMap<>();
        for (SplitProgress p : EngineFailures.translating(() -> pool.splits().progress())) {
            out.put(p.vdiskName(), SplitQueue.status(p, false));
        }
        splitQueue.queued().forEach(s -> out.put(s.volumeId(), s));
        splitQueue.finished().forEach(s -> out.putIfAbsent(s.volumeId(), s));
        return List.copyOf(out.values());
    }

    private Optional<SplitStatus> splitStatusWithoutLocking(String volumeId) {
        Optional<SplitStatus> queued = splitQueue.queued().stream()
                .filter(s -> s.volumeId().equals(volumeId))
                .findFirst();
        if (queued.isPresent()) {
            return queued;
        }
        return pool.splits().progress().stream()
                .filter(p -> p.vdiskName().equals(volumeId))
                .findFirst()
                .map(p -> SplitQueue.status(p, false))
                .or(() -> splitQueue.finishedStatus(volumeId));
    }

    private static boolean isRunningOrDone(SplitStatus s) {
        return switch (s.phase()) {
            case "SCANNING", "FILLING", "RELEASING", SplitStatus.DONE -> true;
            default -> false;
        };
    }

    /** Length of the volume's backing chain (0: not a clone, or no longer one). */
    int backingDepth(String volumeId) {
        return pool.lineage().all().stream()
                .filter(l -> !l.snapshot() && l.name().equals(volumeId))
                .findFirst()
                .map(Lineage::depth)
                .orElse(0);
    }

    /**
     * At agent start, after restaging (a resumed split competes with nothing the node needs to come back): resumes
     * the splits the engine recorded as running, then restores what waited in the queue.
     */
    void resumeAtStart() {
        try {
            List<SplitTask> resumed = pool.splits().resume();
            splitQueue.adopt(resumed);
            resumed.forEach(t -> LOG.info("resumed {} split of volume {}", t.mode(), t.vdiskName()));
        } catch (EngineException e) {
            // the clones stay correct (still backed); startSplit resumes them from their cursor
            LOG.warn("resuming interrupted splits failed, they wait for a new request: {}", e.getMessage());
        }
        // then what waited in the queue (the engine records a split only once it starts)
        try {
            // a request whose engine record says CANCELLED or PAUSED is a resume the crash came too early for
            splitQueue.restore(id -> volumeExists.test(id)
                    && backingDepth(id) > 0
                    && pool.splits().task(id).filter(SplitTask::running).isEmpty());
        } catch (RuntimeException e) {
            // the volumes are fine; only queued requests and old outcomes are lost, which must not keep the node
            // down
            LOG.error("restoring the split queue failed; queued splits must be asked for again", e);
        }
    }
}
