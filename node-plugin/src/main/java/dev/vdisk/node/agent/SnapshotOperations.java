package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.SnapshotInfo;
import dev.vdisk.engine.error.EngineException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's snapshots and group snapshots: taken under the locks of their IDs and of their source volumes,
 * each with its source volume in an attributes file. Called by {@link NodeAgent} on the caller's thread.
 */
final class SnapshotOperations {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotOperations.class);
    /** Snapshot attribute: the ID of the volume it was taken of. */
    private static final String SOURCE = "source";
    /** Snapshot attribute: the group snapshot it was taken in, if any. */
    private static final String GROUP = "group";

    private final Pool pool;
    private final VolumeLocks locks;
    /**
     * The source volume of each snapshot ({@link #SOURCE}), written before the snapshot is taken and read under its
     * lock: the engine forgets a snapshot's vdisk name when the vdisk is deleted, CSI reports it for the snapshot's
     * lifetime.
     */
    private final VolumeAttributes snapshotAttributes;
    /** Whether a volume of that ID exists; the caller holds its lock. */
    private final Predicate<String> volumeExists;

    SnapshotOperations(
            Pool pool, VolumeLocks locks, VolumeAttributes snapshotAttributes, Predicate<String> volumeExists) {
        this.pool = pool;
        this.locks = locks;
        this.snapshotAttributes = snapshotAttributes;
        this.volumeExists = volumeExists;
    }

    /**
     * Locks every snapshot ID then every volume ID, each set in sorted order (every caller locks in this order, so
     * two groups cannot deadlock). Snapshots that exist already must all be of their requested source; then the group
     * is returned as it is (a retry), else the missing ones are refused: a partial group is not a group.
     */
    List<AgentSnapshot> createSnapshotGroup(String groupId, Map<String, String> snapshotIdByVolumeId) {
        if (groupId.isEmpty()) {
            throw new AgentException(AgentReason.INVALID_ARGUMENT, "a group snapshot needs a group ID");
        }
        return createGroup(groupId, snapshotIdByVolumeId);
    }

    /** A group snapshot, or with an empty group ID one snapshot (see {@link #createSnapshotGroup}). */
    List<AgentSnapshot> createGroup(String groupId, Map<String, String> snapshotIdByVolumeId) {
        Map<String, String> sorted = new TreeMap<>(snapshotIdByVolumeId);
        sorted.values().forEach(VolumeIds::check);
        List<VolumeLocks.Held> held = new ArrayList<>();
        try {
            sorted.values().stream().sorted().forEach(id -> held.add(locks.lock(id)));
            sorted.keySet().forEach(id -> held.add(locks.lock(id)));
            Map<String, String> missing = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                Optional<AgentSnapshot> existing = snapshotWithoutLocking(e.getValue());
                if (existing.isPresent() && !existing.get().sourceVolumeId().equals(e.getKey())) {
                    throw new AgentException(
                            AgentReason.ALREADY_EXISTS,
                            "snapshot " + e.getValue() + " exists, taken" + " of volume "
                                    + existing.get().sourceVolumeId() + ", not " + e.getKey());
                }
                if (existing.isEmpty()) {
                    if (!volumeExists.test(e.getKey())) {
                        throw new AgentException(AgentReason.NOT_FOUND, "volume " + e.getKey() + " does not exist");
                    }
                    missing.put(e.getKey(), e.getValue());
                }
            }
            if (!missing.isEmpty() && missing.size() != sorted.size()) {
                throw new AgentException(
                        AgentReason.ALREADY_EXISTS,
                        "snapshots " + sorted.values() + " exist only in" + " part (missing " + missing.values()
                                + "): a group is taken at one instant or not at all");
            }
            if (!missing.isEmpty()) {
                // source first: a snapshot is never seen without it; a crash before the snapshot leaves a file that
                // the next create overwrites
                missing.forEach((volume, snap) -> snapshotAttributes.write(
                        snap, groupId.isEmpty() ? Map.of(SOURCE, volume) : Map.of(SOURCE, volume, GROUP, groupId)));
                pool.snapshots().takeGroup(missing);
                LOG.info("took snapshots {}", missing);
            }
            return sorted.values().stream()
                    .map(id -> snapshotWithoutLocking(id).orElseThrow())
                    .toList();
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        } finally {
            Collections.reverse(held);
            held.forEach(VolumeLocks.Held::close);
        }
    }

    void delete(String snapshotId) {
        try (var held = locks.lock(snapshotId)) {
            if (info(snapshotId).isPresent()) {
                // the engine hides a snapshot that clones still read through and frees it with its last dependent
                pool.vdisks().delete(snapshotId);
                LOG.info("deleted snapshot {}", snapshotId);
            }
            if (VolumeIds.usable(snapshotId)) {
                snapshotAttributes.delete(snapshotId);
            }
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    Optional<AgentSnapshot> get(String snapshotId) {
        return EngineFailures.translating(() -> snapshotWithoutLocking(snapshotId));
    }

    List<AgentSnapshot> list() {
        return EngineFailures.translating(() -> pool.snapshots().list().stream()
                .map(this::toSnapshot)
                .sorted(Comparator.comparing(AgentSnapshot::snapshotId))
                .toList());
    }

    /** The engine's record of the snapshot, if it exists (hidden ones do not). */
    Optional<SnapshotInfo> info(String snapshotId) {
        return pool.snapshots().list().stream()
                .filter(s -> s.name().equals(snapshotId))
                .findFirst();
    }

    private Optional<AgentSnapshot> snapshotWithoutLocking(String snapshotId) {
        return info(snapshotId).map(this::toSnapshot);
    }

    private AgentSnapshot toSnapshot(SnapshotInfo s) {
        Map<String, String> stored = Map.of();
        try {
            stored = VolumeIds.usable(s.name()) ? snapshotAttributes.read(s.name()) : Map.of();
        } catch (AgentException e) {
            LOG.warn("snapshot {}: {}", s.name(), e.getMessage()); // reported as of its engine record
        }
        String source = stored.getOrDefault(SOURCE, s.vdiskName() != null ? s.vdiskName() : "");
        return new AgentSnapshot(s.name(), source, s.sizeBytes(), s.createdMillis(), stored.getOrDefault(GROUP, ""));
    }
}
