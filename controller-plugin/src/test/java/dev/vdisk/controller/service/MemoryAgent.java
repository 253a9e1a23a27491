package dev.vdisk.controller.service;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.api.agent.VolumeAgent;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A VolumeAgent in memory with the real agent's contract (rounding, idempotent create, staged refusal). */
final class MemoryAgent implements VolumeAgent {
    final long poolBytes;
    final Map<String, AgentVolume> volumes = new ConcurrentSkipListMap<>();
    final Map<String, AgentSnapshot> snapshots = new ConcurrentSkipListMap<>();
    /** Snapshot ID -> extents its streams return (tests set them). */
    final Map<String, List<BlockExtent>> extents = new ConcurrentSkipListMap<>();

    final AtomicInteger creates = new AtomicInteger();
    /** How long a create takes (tests widen race windows with it). */
    volatile long createMillis;
    /** What the pool can still write; a test sets it below the pool's size to model a filled thin pool. */
    volatile long writableBytes = -1;

    MemoryAgent(long poolBytes) {
        this.poolBytes = poolBytes;
    }

    @Override
    public synchronized AgentVolume createVolume(String volumeId, long sizeBytes, Map<String, String> attributes) {
        long size = SizeRange.roundUp(sizeBytes);
        AgentVolume existing = volumes.get(volumeId);
        if (existing != null) {
            if (existing.sizeBytes() != size) {
                throw new AgentException(AgentReason.ALREADY_EXISTS, "other size");
            }
            return existing;
        }
        creates.incrementAndGet();
        if (createMillis > 0) {
            try {
                Thread.sleep(createMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        AgentVolume v = new AgentVolume(volumeId, size, 0, false, attributes, Optional.empty());
        volumes.put(volumeId, v);
        return v;
    }

    @Override
    public synchronized AgentVolume updateAttributes(String volumeId, Map<String, String> attributes) {
        AgentVolume v = getVolume(volumeId).orElseThrow(() -> new AgentException(AgentReason.NOT_FOUND, volumeId));
        Map<String, String> merged = new TreeMap<>(v.attributes());
        merged.putAll(attributes);
        AgentVolume out = new AgentVolume(volumeId, v.sizeBytes(), 0, v.staged(), merged, v.abnormal());
        volumes.put(volumeId, out);
        return out;
    }

    @Override
    public synchronized void deleteVolume(String volumeId) {
        AgentVolume v = volumes.get(volumeId);
        if (v != null && v.staged()) {
            throw new AgentException(AgentReason.FAILED_PRECONDITION, "staged");
        }
        volumes.remove(volumeId);
    }

    @Override
    public synchronized AgentVolume resizeVolume(String volumeId, long newSizeBytes) {
        AgentVolume v = getVolume(volumeId).orElseThrow(() -> new AgentException(AgentReason.NOT_FOUND, volumeId));
        long size = Math.max(v.sizeBytes(), SizeRange.roundUp(newSizeBytes));
        AgentVolume out = new AgentVolume(volumeId, size, 0, v.staged(), v.attributes(), v.abnormal());
        volumes.put(volumeId, out);
        return out;
    }

    @Override
    public Optional<AgentVolume> getVolume(String volumeId) {
        return Optional.ofNullable(volumes.get(volumeId));
    }

    @Override
    public List<AgentVolume> listVolumes() {
        return List.copyOf(volumes.values());
    }

    @Override
    public PoolCapacity capacity() {
        return new PoolCapacity(poolBytes, writableBytes < 0 ? poolBytes : writableBytes, 0);
    }

    @Override
    public synchronized AgentSnapshot createSnapshot(String snapshotId, String sourceVolumeId) {
        return createSnapshotGroup("", Map.of(sourceVolumeId, snapshotId)).getFirst();
    }

    @Override
    public synchronized List<AgentSnapshot> createSnapshotGroup(
            String groupId, Map<String, String> snapshotIdByVolumeId) {
        Map<String, String> missing = new LinkedHashMap<>();
        for (var e : snapshotIdByVolumeId.entrySet()) {
            AgentSnapshot s = snapshots.get(e.getValue());
            if (s != null && !s.sourceVolumeId().equals(e.getKey())) {
                throw new AgentException(AgentReason.ALREADY_EXISTS, "other source");
            }
            if (s == null) {
                if (!volumes.containsKey(e.getKey())) {
                    throw new AgentException(AgentReason.NOT_FOUND, e.getKey());
                }
                missing.put(e.getKey(), e.getValue());
            }
        }
        missing.forEach((v, s) ->
                snapshots.put(s, new AgentSnapshot(s, v, volumes.get(v).sizeBytes(), 1000, groupId)));
        missing.forEach((v, s) -> depths.put(s, depths.getOrDefault(v, 0)));
        return snapshotIdByVolumeId.values().stream()
                .sorted()
                .map(snapshots::get)
                .toList();
    }

    @Override
    public synchronized void deleteSnapshot(String snapshotId) {
        snapshots.remove(snapshotId);
    }

    @Override
    public Optional<AgentSnapshot> getSnapshot(String snapshotId) {
        return Optional.ofNullable(snapshots.get(snapshotId));
    }

    @Override
    public List<AgentSnapshot> listSnapshots() {
        return List.copyOf(snapshots.values());
    }

    @Override
    public synchronized AgentVolume cloneVolume(
            String newVolumeId, String snapshotId, long sizeBytes, Map<String, String> attributes) {
        if (volumes.containsKey(newVolumeId)) {
            return volumes.get(newVolumeId);
        }
        AgentSnapshot s = requireSnapshot(snapshotId);
        long size = Math.max(s.sizeBytes(), SizeRange.roundUp(sizeBytes));
        AgentVolume v = new AgentVolume(newVolumeId, size, 0, false, attributes, Optional.empty());
        volumes.put(newVolumeId, v);
        depths.put(newVolumeId, depths.getOrDefault(snapshotId, 0) + 1);
        return v;
    }

    @Override
    public Iterator<BlockExtent> allocated(String snapshotId, long startOffset) {
        requireSnapshot(snapshotId);
        return extents.getOrDefault(snapshotId, List.of()).stream()
                .filter(e -> e.end() > startOffset)
                .iterator();
    }

    @Override
    public Iterator<BlockExtent> delta(String baseSnapshotId, String targetSnapshotId, long startOffset) {
        requireSnapshot(baseSnapshotId);
        return allocated(targetSnapshotId, startOffset);
    }

    private AgentSnapshot requireSnapshot(String snapshotId) {
        return getSnapshot(snapshotId).orElseThrow(() -> new AgentException(AgentReason.NOT_FOUND, snapshotId));
    }

    /** Split requests by volume ID (tests read and set them); a split here is DONE at once. */
    final Map<String, SplitStatus> splits = new ConcurrentSkipListMap<>();

    @Override
    public synchronized SplitStatus startSplit(String volumeId, String mode, long rateBytesPerSecond) {
        if (!volumes.containsKey(volumeId)) {
            throw new AgentException(AgentReason.NOT_FOUND, volumeId);
        }
        SplitStatus s = splits.get(volumeId);
        if (s != null && !s.mode().equals(mode)) {
            throw new AgentException(AgentReason.FAILED_PRECONDITION, "other mode");
        }
        return splits.computeIfAbsent(
                volumeId, id -> new SplitStatus(id, mode, SplitStatus.DONE, 1, 1, 1, 0, 0, 0, "", false));
    }

    @Override
    public Optional<SplitStatus> splitStatus(String volumeId) {
        return Optional.ofNullable(splits.get(volumeId));
    }

    @Override
    public void cancelSplit(String volumeId) {}

    /** Chain depth by volume or snapshot ID as the engine counts it (absent: 0). */
    final Map<String, Integer> depths = new ConcurrentSkipListMap<>();

    @Override
    public int chainDepth(String id) {
        if (!volumes.containsKey(id) && !snapshots.containsKey(id)) {
            throw new AgentException(AgentReason.NOT_FOUND, id);
        }
        return depths.getOrDefault(id, 0);
    }

    @Override
    public List<SplitStatus> splits() {
        return List.copyOf(splits.values());
    }
}
