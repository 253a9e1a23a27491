package dev.vdisk.controller.service;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.engine.Reason;
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
    final AtomicInteger creates = new AtomicInteger();

    MemoryAgent(long poolBytes) {
        this.poolBytes = poolBytes;
    }

    @Override
    public synchronized AgentVolume createVolume(String volumeId, long sizeBytes, Map<String, String> attributes) {
        long size = SizeRange.roundUp(sizeBytes);
        AgentVolume existing = volumes.get(volumeId);
        if (existing != null) {
            if (existing.sizeBytes() != size) {
                throw new AgentException(Reason.ALREADY_EXISTS, "other size");
            }
            return existing;
        }
        creates.incrementAndGet();
        AgentVolume v = new AgentVolume(volumeId, size, 0, false, attributes, Optional.empty());
        volumes.put(volumeId, v);
        return v;
    }

    @Override
    public synchronized AgentVolume updateAttributes(String volumeId, Map<String, String> attributes) {
        AgentVolume v = getVolume(volumeId).orElseThrow(() -> new AgentException(Reason.NOT_FOUND, volumeId));
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
            throw new AgentException(Reason.FAILED_PRECONDITION, "staged");
        }
        volumes.remove(volumeId);
    }

    @Override
    public synchronized AgentVolume resizeVolume(String volumeId, long newSizeBytes) {
        AgentVolume v = getVolume(volumeId).orElseThrow(() -> new AgentException(Reason.NOT_FOUND, volumeId));
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
        return new PoolCapacity(poolBytes, poolBytes, 0);
    }
}
