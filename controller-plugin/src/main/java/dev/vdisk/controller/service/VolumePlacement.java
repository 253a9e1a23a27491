package dev.vdisk.controller.service;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.agents.NodeSnapshot;
import dev.vdisk.controller.agents.NodeVolume;
import dev.vdisk.controller.agents.RemoteClones;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a new volume or clone goes and whether a volume can grow where it is: the capacity checks of CreateVolume and
 * ControllerExpandVolume, each with the change it allows under the node's capacity lock. Called by
 * {@link VolumeController} on the gRPC thread, inside the volume's lock.
 */
final class VolumePlacement {
    private static final Logger LOG = LoggerFactory.getLogger(VolumePlacement.class);

    /** Attempts at placing a volume when another create took the room between the pick and the locked re-check. */
    private static final int PLACEMENT_ATTEMPTS = 8;

    private final NodeAgents agents;
    /**
     * One lock per node, held from the capacity check to the end of the create, clone or expand that relies on it,
     * so that concurrent calls for different volumes cannot all pass the check and overcommit the node together. It
     * is taken inside the volume's lock and around nothing but that node's capacity, volume list and the one change.
     */
    private final OperationLocks nodeCapacity = new OperationLocks(ControllerService.LOCK_WAIT);

    VolumePlacement(NodeAgents agents) {
        this.agents = agents;
    }

    /**
     * Picks a node with room (unlocked, as a candidate), then under that node's capacity lock checks again and runs
     * {@code create} there. If another create took the room in between, picks again: the pick then sees that
     * volume, so each round either succeeds or moves on, and no node ends up above its limit.
     */
    NodeVolume place(
            TopologyPicker topology,
            SortedSet<String> candidates,
            long size,
            CapacityPolicy policy,
            Function<String, AgentVolume> create) {
        for (int attempt = 1; ; attempt++) {
            String node = topology.pick(candidates, n -> whyNot(n, size, policy));
            try (var held = nodeCapacity.lock(node)) {
                Optional<String> why = whyNot(node, size, policy);
                if (why.isEmpty()) {
                    return new NodeVolume(node, create.apply(node));
                }
                if (attempt == PLACEMENT_ATTEMPTS) {
                    throw new NoSuitableNodeException("node " + node + " had room for " + size + " bytes, but"
                            + " concurrent creates took it " + attempt + " times in a row: " + why.get());
                }
                LOG.info("node {} filled up while placing {} bytes, picking again: {}", node, size, why.get());
            }
        }
    }

    /**
     * A thin clone of a snapshot, or of a volume through an internal snapshot that is deleted (so hidden) at once:
     * nothing is copied either way. The clone lives where its source does: that node is imposed as its topology.
     *
     * <p>Spec, CreateVolume errors: a source that does not exist -> NOT_FOUND; a size below the source's ->
     * OUT_OF_RANGE ("Unsupported capacity_range"; the spec also says the volume size must be at least the
     * snapshot's); a source on a node the requisite topologies exclude -> RESOURCE_EXHAUSTED ("Unable to provision
     * in accessible_topology": the request is valid, this plugin cannot place a clone elsewhere).
     */
    NodeVolume cloneFrom(
            ContentSource source,
            String volumeId,
            SizeRange range,
            TopologyPicker topology,
            CapacityPolicy policy,
            Map<String, String> attributes,
            IntFunction<Optional<String>> splitForDepth) {
        String node;
        long sourceSize;
        if (source.snapshot()) {
            NodeSnapshot s = agents.findSnapshot(source.id())
                    .orElseThrow(() -> new AgentException(
                            AgentReason.NOT_FOUND,
                            "volume_content_source: snapshot " + source.id() + " does not exist"));
            node = s.nodeId();
            sourceSize = s.snapshot().sizeBytes();
        } else {
            NodeVolume v = agents.find(source.id())
                    .orElseThrow(() -> new AgentException(
                            AgentReason.NOT_FOUND, "volume_content_source: volume " + source.id() + " does not exist"));
            node = v.nodeId();
            sourceSize = v.volume().sizeBytes();
        }
        if (range.limitBytes() > 0 && range.limitBytes() < sourceSize
                || range.requiredBytes() > 0 && range.requiredBytes() < sourceSize) {
            throw new CapacityOutOfRangeException("capacity_range " + range + " is below the " + sourceSize
                    + " bytes of the content source " + source + "; a clone is at least as large as its source");
        }
        long size = Math.max(sourceSize, range.requiredBytes() == 0 ? 0 : range.size(VolumeAgent.MAX_VOLUME_BYTES));
        if (!topology.allows(node)) {
            RemoteClones remote = agents.remoteClones()
                    .orElseThrow(() -> new NoSuitableNodeException("the content source " + source + " is on node "
                            + node + ", which is not among the requisite topologies; here a clone can only be"
                            + " created on its source's node"));
            return cloneElsewhere(remote, source, node, volumeId, size, topology, policy, attributes);
        }
        return place(topology, new TreeSet<>(List.of(node)), size, policy, chosen -> {
            VolumeAgent agent = agent(chosen);
            // stored with the clone before it exists, so that the node agent retries a split a crash kept from starting
            splitForDepth
                    .apply(agent.chainDepth(source.id()) + 1)
                    .ifPresent(mode -> attributes.put(CloneSplitHook.REQUESTED, mode));
            if (source.snapshot()) {
                return agent.cloneVolume(volumeId, source.id(), size, attributes);
            }
            String internal = ContentSource.internalSnapshotId(volumeId);
            agent.createSnapshot(internal, source.id());
            AgentVolume clone = agent.cloneVolume(volumeId, internal, size, attributes);
            agent.deleteSnapshot(internal);
            return clone;
        });
    }

    /**
     * Restore anywhere: the clone goes to the node the topology picks (one with room), which pulls a replica of the
     * source snapshot from {@code sourceNode} and clones it there; a volume source is cloned through an internal
     * snapshot taken on its node and deleted once the clone exists (a retry deletes it too: CreateVolume's
     * idempotent path). The clone is an ordinary local volume afterwards; its split policy is not applied (a
     * replica is not shared).
     */
    private NodeVolume cloneElsewhere(
            RemoteClones remote,
            ContentSource source,
            String sourceNode,
            String volumeId,
            long size,
            TopologyPicker topology,
            CapacityPolicy policy,
            Map<String, String> attributes) {
        return place(topology, agents.nodeIds(), size, policy, chosen -> {
            LOG.info(
                    "volume {}: its source {} is on node {}, cloning it onto node {}",
                    volumeId,
                    source,
                    sourceNode,
                    chosen);
            if (source.snapshot()) {
                return remote.cloneFromNode(chosen, sourceNode, volumeId, source.id(), size, attributes);
            }
            String internal = ContentSource.internalSnapshotId(volumeId);
            agent(sourceNode).createSnapshot(internal, source.id());
            AgentVolume clone = remote.cloneFromNode(chosen, sourceNode, volumeId, internal, size, attributes);
            agent(sourceNode).deleteSnapshot(internal);
            return clone;
        });
    }

    /** The largest volume any known node could hold (the engine's limit when none is known: the picker will say why). */
    long largestVolume(CapacityPolicy policy) {
        return agents.nodeIds().stream()
                .flatMap(n -> agents.agent(n).stream())
                .mapToLong(a -> policy.maximumVolumeSize(a.capacity()))
                .max()
                .orElse(VolumeAgent.MAX_VOLUME_BYTES);
    }

    private Optional<String> whyNot(String node, long size, CapacityPolicy policy) {
        VolumeAgent agent = agent(node);
        PoolCapacity pool = agent.capacity();
        if (size > policy.maximumVolumeSize(pool)) {
            return Optional.of("its pool holds volumes of at most " + policy.maximumVolumeSize(pool) + " bytes");
        }
        long available = policy.available(pool, agent.listVolumes());
        if (size > available) {
            return Optional.of("only " + available + " bytes left to provision (pool " + pool.totalBytes()
                    + " bytes x overprovisionRatio " + policy.ratio() + ", minus its volumes), " + size + " requested");
        }
        return Optional.empty();
    }

    /**
     * Grows the volume if asked and there is room, the check and the growth as one step under the node's capacity
     * lock. Returns the size.
     */
    long grow(String volumeId, SizeRange range, NodeVolume volume, VolumeAgent agent, CapacityPolicy policy) {
        try (var held = nodeCapacity.lock(volume.nodeId())) {
            return growWithoutLocking(volumeId, range, volume, agent, policy);
        }
    }

    private static long growWithoutLocking(
            String volumeId, SizeRange range, NodeVolume volume, VolumeAgent agent, CapacityPolicy policy) {
        PoolCapacity pool = agent.capacity();
        long size = range.size(policy.maximumVolumeSize(pool));
        long current = volume.volume().sizeBytes();
        if (size > current) {
            long available = policy.available(pool, agent.listVolumes());
            if (size - current > available) {
                throw new AgentException(
                        AgentReason.OUT_OF_SPACE,
                        "volume " + volumeId + " cannot grow by "
                                + (size - current) + " bytes: node " + volume.nodeId() + " has " + available
                                + " bytes left to provision");
            }
            current = agent.resizeVolume(volumeId, size).sizeBytes();
        } else if (range.limitBytes() > 0 && current > range.limitBytes()) {
            throw new CapacityOutOfRangeException("volume " + volumeId + " already has " + current
                    + " bytes, more than limit_bytes " + range.limitBytes() + " (volumes never shrink)");
        }
        return current;
    }

    private VolumeAgent agent(String node) {
        return VolumeController.agent(agents, node);
    }
}
