package dev.vdisk.node.agent;

import dev.vdisk.engine.Pool;
import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.backend.ConditionBackend;
import dev.vdisk.node.backend.EngineBackend;
import dev.vdisk.node.backend.IoCondition;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What serves each attached volume's image: its vdisk, watched for I/O failures ({@link ConditionBackend}) and
 * throttled as its attributes say ({@link VolumeThrottles}). Keeps each volume's I/O condition across detach and
 * attach; thread-safe (the caller holds the volume's lock for {@link #backendFor} and {@link #forget}).
 */
final class VolumeBackends {
    private final Pool pool;
    /** What the pool has left, for the message of a failing write. */
    private final LongSupplier availableBytes;
    /**
     * The I/O condition of each volume attached since start (NodeGetVolumeStats), kept across detach and attach so
     * that a retried staging logs no new line; dropped when the volume is deleted.
     */
    private final Map<String, ConditionBackend.Conditions> conditions = new ConcurrentHashMap<>();
    /** Condition changes of all volumes, counted for the metrics. */
    private final IoCondition.Changes conditionChanges = new IoCondition.Changes();
    /** The I/O limits of attached volumes, applied live when their attributes change. */
    private final VolumeThrottles throttles = new VolumeThrottles();

    VolumeBackends(Pool pool, LongSupplier availableBytes) {
        this.pool = pool;
        this.availableBytes = availableBytes;
    }

    /** The volume's backend with {@code attributes}' limits. NOT_FOUND (engine) if the vdisk does not exist. */
    BlockBackend backendFor(String volumeId, Map<String, String> attributes) throws IOException {
        ConditionBackend watched = new ConditionBackend(
                new EngineBackend(pool.vdisks().get(volumeId)),
                conditions.computeIfAbsent(
                        volumeId, id -> new ConditionBackend.Conditions(id, conditionChanges, availableBytes)));
        return throttles.wrap(volumeId, watched, attributes);
    }

    VolumeThrottles throttles() {
        return throttles;
    }

    /** Whether the attached volume's writes (or reads) fail now: what, why and since when. */
    Optional<IoCondition.Failing> ioFailing(String volumeId) {
        return Optional.ofNullable(conditions.get(volumeId)).flatMap(ConditionBackend.Conditions::failing);
    }

    IoCondition.Changes conditionChanges() {
        return conditionChanges;
    }

    /** Drops the I/O condition of a deleted volume. */
    void forget(String volumeId) {
        conditions.remove(volumeId);
    }
}
