package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.SnapshotInfo;
import dev.vdisk.engine.VdiskInfo;
import dev.vdisk.engine.error.EngineException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's volumes as the controller sees them: create, clone, delete, their attributes files and how they
 * look ({@link AgentVolume}). Each operation takes the volume's lock; called by {@link NodeAgent} on the caller's
 * thread.
 */
final class VolumeOperations {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeOperations.class);

    /** What the operations work on, all owned by the {@link NodeAgent}. */
    record Parts(
            Pool pool,
            VolumeLocks locks,
            StagedVolumes staged,
            SplitQueue splitQueue,
            VolumeThrottles throttles,
            SnapshotOperations snapshots,
            String nodeId) {}

    private final Parts parts;
    /** The controller's attributes of each volume; read and written under the volume's lock. */
    private final VolumeAttributes attributes;
    /** Volumes whose attributes file cannot be read, with why (it names the file); logged once when it is put. */
    private final Map<String, String> unreadableAttributes = new ConcurrentHashMap<>();
    /** Why a volume's data path is broken, if it is. */
    private final Function<String, Optional<String>> abnormal;
    /** Forgets what the data path kept of a deleted volume. */
    private final Consumer<String> deleted;

    VolumeOperations(
            Parts parts,
            VolumeAttributes attributes,
            Function<String, Optional<String>> abnormal,
            Consumer<String> deleted) {
        this.parts = parts;
        this.attributes = attributes;
        this.abnormal = abnormal;
        this.deleted = deleted;
    }

    AgentVolume create(String volumeId, long sizeBytes, Map<String, String> attrs) {
        VolumeIds.check(volumeId);
        long size = VolumeIds.roundUp(sizeBytes);
        try (var held = parts.locks().lock(volumeId)) {
            Optional<VdiskInfo> existing = info(volumeId);
            if (existing.isPresent()) {
                if (existing.get().sizeBytes() != size) {
                    throw new AgentException(
                            AgentReason.ALREADY_EXISTS,
                            "volume " + volumeId + " exists with "
                                    + existing.get().sizeBytes() + " bytes, not " + size);
                }
                return toVolume(existing.get());
            }
            // attributes first: a crash before the vdisk exists leaves a file that the next create overwrites
            attributes.write(volumeId, attrs);
            unreadableAttributes.remove(volumeId);
            parts.splitQueue().forget(volumeId); // a split status of a deleted volume of the same ID
            VdiskInfo created = parts.pool().vdisks().create(volumeId, size);
            LOG.info("created volume {} ({} bytes)", volumeId, size);
            return toVolume(created);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    AgentVolume updateAttributes(String volumeId, Map<String, String> changes) {
        try (var held = parts.locks().lock(volumeId)) {
            VdiskInfo info = info(volumeId)
                    .orElseThrow(
                            () -> new AgentException(AgentReason.NOT_FOUND, "volume " + volumeId + " does not exist"));
            Map<String, String> merged = new TreeMap<>(attributes.read(volumeId));
            merged.putAll(changes);
            attributes.write(volumeId, merged);
            parts.throttles().update(volumeId, merged);
            LOG.info("volume {} attributes set: {}", volumeId, changes.keySet());
            return toVolume(info);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    void delete(String volumeId) {
        try (var held = parts.locks().lock(volumeId)) {
            if (parts.staged().get(volumeId).isPresent()) {
                // DeleteVolume's error reaches the PVC's events: the node, not its kubelet path
                throw new AgentException(
                        AgentReason.FAILED_PRECONDITION,
                        "volume " + volumeId + " is staged on node " + parts.nodeId()
                                + "; stop the pods using it (the CO unstages it) before deleting it");
            }
            if (info(volumeId).isEmpty()) {
                if (VolumeIds.usable(volumeId)) {
                    attributes.delete(volumeId); // left by a crash between the two steps below, if at all
                }
                return;
            }
            parts.splitQueue().forget(volumeId); // a running split is cancelled by the engine's delete
            // vdisk first: attributes without a vdisk are ignored, a vdisk without its attributes would not be
            parts.pool().vdisks().delete(volumeId);
            attributes.delete(volumeId);
            unreadableAttributes.remove(volumeId);
            deleted.accept(volumeId);
            LOG.info("deleted volume {}", volumeId);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    /** Locks the new volume's ID; the engine keeps the snapshot alive while the clone reads through it. */
    AgentVolume cloneVolume(String newVolumeId, String snapshotId, long sizeBytes, Map<String, String> attrs) {
        VolumeIds.check(newVolumeId);
        long size = VolumeIds.roundUp(sizeBytes);
        try (var held = parts.locks().lock(newVolumeId)) {
            Optional<VdiskInfo> existing = info(newVolumeId);
            if (existing.isPresent()) {
                return toVolume(existing.get());
            }
            SnapshotInfo snap = parts.snapshots()
                    .info(snapshotId)
                    .orElseThrow(() ->
                            new AgentException(AgentReason.NOT_FOUND, "snapshot " + snapshotId + " does not exist"));
            if (size < snap.sizeBytes()) {
                throw new AgentException(
                        AgentReason.INVALID_ARGUMENT,
                        "a clone of snapshot " + snapshotId + " needs at" + " least its " + snap.sizeBytes()
                                + " bytes, not " + size);
            }
            attributes.write(newVolumeId, attrs);
            unreadableAttributes.remove(newVolumeId);
            parts.splitQueue().forget(newVolumeId); // a split status of a deleted volume of the same ID
            parts.pool().snapshots().clone(snapshotId, newVolumeId);
            if (size > snap.sizeBytes()) {
                parts.pool().vdisks().resize(newVolumeId, size);
            }
            LOG.info("cloned snapshot {} as volume {} ({} bytes)", snapshotId, newVolumeId, size);
            return toVolume(info(newVolumeId).orElseThrow());
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }

    Optional<AgentVolume> get(String volumeId) {
        return EngineFailures.translating(() -> info(volumeId).map(this::toVolume));
    }

    List<AgentVolume> list() {
        return EngineFailures.translating(() -> parts.pool().vdisks().list().stream()
                .filter(v -> !NodeReplicas.isReplicaVdisk(v.name()))
                .map(this::toVolume)
                .toList());
    }

    Optional<VdiskInfo> info(String volumeId) {
        return parts.pool().vdisks().list().stream()
                .filter(v -> v.name().equals(volumeId))
                .findFirst();
    }

    AgentVolume toVolume(VdiskInfo i) {
        Map<String, String> attrs = readableAttributes(i.name());
        return new AgentVolume(
                i.name(),
                i.sizeBytes(),
                i.allocatedBytes(),
                parts.staged().get(i.name()).isPresent(),
                attrs,
                abnormal.apply(i.name()).or(() -> attributesProblem(i.name())));
    }

    /**
     * The volume's attributes; when its file cannot be read, none, and the volume is marked (its condition names
     * the file) with one log line: one damaged file must not stop the agent or hide the other volumes.
     */
    Map<String, String> readableAttributes(String volumeId) {
        try {
            Map<String, String> read = attributes.read(volumeId);
            if (unreadableAttributes.remove(volumeId) != null) {
                LOG.info("volume {}: its attributes file {} is readable again", volumeId, attributes.name(volumeId));
            }
            return read;
        } catch (AgentException e) {
            if (unreadableAttributes.put(volumeId, e.getMessage()) == null) {
                LOG.error("volume {}: {}", volumeId, e.getMessage());
            }
            return Map.of();
        }
    }

    /** Why the volume's attributes file cannot be read, if it cannot. */
    Optional<String> attributesProblem(String volumeId) {
        return Optional.ofNullable(unreadableAttributes.get(volumeId));
    }
}
