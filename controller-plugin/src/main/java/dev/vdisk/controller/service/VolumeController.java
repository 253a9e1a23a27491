package dev.vdisk.controller.service;

import com.google.protobuf.Int64Value;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerExpandVolumeResponse;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.ControllerModifyVolumeResponse;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetCapacityRequest;
import csi.v1.GetCapacityResponse;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.agents.NodeVolume;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The Controller's volume RPCs without locking; used only behind {@link ControllerService}, which holds the volume's
 * lock around every call that changes a volume. Each method reads: required fields and validation
 * (INVALID_ARGUMENT), idempotency lookup, work, response. The volumes live in the node agents' pools; this class
 * only asks them ({@link NodeAgents}).
 */
final class VolumeController {

    /** Attribute: the CreateVolume name the volume was created for. */
    static final String NAME = "name";

    private final NodeAgents agents;
    private final CloneSplitHook splits;
    private final VolumePlacement placement;

    VolumeController(NodeAgents agents, CloneSplitHook splits) {
        this.agents = agents;
        this.splits = splits;
        this.placement = new VolumePlacement(agents);
    }

    // ---------------------------------------------------------------- CreateVolume

    CreateVolumeResponse createVolume(CreateVolumeRequest req) {
        String name = required("name", req.getName());
        List<VolumeCapability> caps = req.getVolumeCapabilitiesList();
        VolumeCapabilities.require("volume_capabilities", caps);
        VolumeParameters params = VolumeParameters.parse(req.getParametersMap());
        MutableParameters mutable = MutableParameters.parse(req.getMutableParametersMap());
        CreateVolumeChecks.checkConsistent(params, mutable, caps);
        Optional<ContentSource> source = ContentSource.of(req.hasVolumeContentSource(), req.getVolumeContentSource());
        SizeRange range = SizeRange.of(req.getCapacityRange());
        TopologyPicker topology = TopologyPicker.of(
                req.hasAccessibilityRequirements()
                        ? Optional.of(req.getAccessibilityRequirements())
                        : Optional.empty());
        String volumeId = VolumeIds.forName(name);

        // spec: a volume of this name that is compatible -> 0 OK with it; incompatible -> ALREADY_EXISTS
        Optional<NodeVolume> existing =
                agents.find(volumeId).or(() -> VolumeIds.legacy(name).flatMap(agents::find));
        if (existing.isPresent()) {
            CreateVolumeChecks.incompatibility(existing.get(), name, range, caps, params, topology)
                    .or(() -> CreateVolumeChecks.sourceMismatch(existing.get(), source))
                    .ifPresent(why -> {
                        throw new AgentException(
                                AgentReason.ALREADY_EXISTS,
                                "volume " + volumeId + " for name '" + name + "' already exists, but " + why);
                    });
            if (source.isPresent() && !source.get().snapshot()) {
                // a crash after the clone may have left the internal snapshot visible; hidden from now on. It was
                // taken on the source volume's node, which is another one for a clone made elsewhere
                String internal = ContentSource.internalSnapshotId(volumeId);
                agent(existing.get().nodeId()).deleteSnapshot(internal);
                agents.find(source.get().id())
                        .filter(v -> !v.nodeId().equals(existing.get().nodeId()))
                        .ifPresent(v -> agent(v.nodeId()).deleteSnapshot(internal));
            }
            if (source.isPresent()) {
                // a crash after the clone may have come before the split was asked for; the agent's start is idempotent
                CreateVolumeChecks.requestedSplit(existing.get())
                        .ifPresent(mode -> splits.startSplit(existing.get().nodeId(), volumeId, mode));
            }
            return CreateVolumeResponse.newBuilder()
                    .setVolume(CsiVolumes.toVolume(existing.get()))
                    .build();
        }

        CapacityPolicy policy = new CapacityPolicy(params.ratio());
        Map<String, String> attributes = new TreeMap<>(params.attributes());
        attributes.putAll(mutable.attributes());
        attributes.put(NAME, name);
        if (source.isPresent()) {
            attributes.put(ContentSource.ATTRIBUTE, source.get().attribute());
            Optional<String> asked =
                    mutable.splitOnClone().or(params::splitOnClone).filter(mode -> !mode.equals("none"));
            NodeVolume clone = placement.cloneFrom(
                    source.get(),
                    volumeId,
                    range,
                    topology,
                    policy,
                    attributes,
                    depth -> asked.or(() -> CreateVolumeChecks.tooDeep(volumeId, depth, params)));
            CreateVolumeChecks.requestedSplit(clone)
                    .ifPresent(mode -> splits.startSplit(clone.nodeId(), volumeId, mode));
            return CreateVolumeResponse.newBuilder()
                    .setVolume(CsiVolumes.toVolume(clone))
                    .build();
        }
        long size = range.size(FileSystemMinimum.of(caps, params), placement.largestVolume(policy));
        NodeVolume created = placement.place(
                topology, agents.nodeIds(), size, policy, node -> agent(node).createVolume(volumeId, size, attributes));
        return CreateVolumeResponse.newBuilder()
                .setVolume(CsiVolumes.toVolume(created))
                .build();
    }

    // ---------------------------------------------------------------- DeleteVolume

    void deleteVolume(DeleteVolumeRequest req) {
        String volumeId = required("volume_id", req.getVolumeId());
        // spec: a volume that does not exist -> 0 OK
        Optional<NodeVolume> existing = agents.find(volumeId);
        if (existing.isEmpty()) {
            return;
        }
        // its snapshots outlive it and snapshots its clones read through are kept hidden by the engine: nothing to
        // check here. A staged volume: the agent refuses with FAILED_PRECONDITION (spec: "Volume in use")
        agent(existing.get().nodeId()).deleteVolume(volumeId);
    }

    // ---------------------------------------------------------------- ValidateVolumeCapabilities

    ValidateVolumeCapabilitiesResponse validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest req) {
        String volumeId = required("volume_id", req.getVolumeId());
        if (req.getVolumeCapabilitiesCount() == 0) {
            throw new IllegalArgumentException("volume_capabilities missing in request");
        }
        NodeVolume volume = existing(volumeId);
        Optional<String> problem = unsupported(volume, req);
        if (problem.isPresent()) {
            return ValidateVolumeCapabilitiesResponse.newBuilder()
                    .setMessage(problem.get())
                    .build();
        }
        // spec: confirmed only if every capability (and parameter) is supported; it echoes what was validated
        return ValidateVolumeCapabilitiesResponse.newBuilder()
                .setConfirmed(ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
                        .putAllVolumeContext(req.getVolumeContextMap())
                        .addAllVolumeCapabilities(req.getVolumeCapabilitiesList())
                        .putAllParameters(req.getParametersMap())
                        .putAllMutableParameters(req.getMutableParametersMap()))
                .build();
    }

    private static Optional<String> unsupported(NodeVolume volume, ValidateVolumeCapabilitiesRequest req) {
        Optional<String> capability = VolumeCapabilities.problem(req.getVolumeCapabilitiesList());
        if (capability.isPresent()) {
            return capability;
        }
        Map<String, String> stored = volume.volume().attributes();
        try {
            VolumeParameters params = VolumeParameters.parse(req.getParametersMap());
            MutableParameters.parse(req.getMutableParametersMap());
            Optional<String> mismatch = params.mismatch(stored).map(m -> "parameters do not match the volume: " + m);
            if (mismatch.isPresent()) {
                return mismatch;
            }
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
        Optional<String> fs = CreateVolumeChecks.fsMismatch(stored, req.getVolumeCapabilitiesList());
        if (fs.isPresent()) {
            return fs.map(m -> "volume_capabilities do not match the volume: " + m);
        }
        if (!req.getVolumeContextMap().isEmpty() && !req.getVolumeContextMap().equals(CsiVolumes.context(stored))) {
            return Optional.of("volume_context " + req.getVolumeContextMap() + " is not this volume's "
                    + CsiVolumes.context(stored));
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- ControllerGetVolume, ListVolumes

    ControllerGetVolumeResponse controllerGetVolume(ControllerGetVolumeRequest req) {
        String volumeId = required("volume_id", req.getVolumeId());
        NodeVolume volume = existing(volumeId);
        // spec: with VOLUME_CONDITION, volume_condition MUST be set
        return ControllerGetVolumeResponse.newBuilder()
                .setVolume(withSplit(volume))
                .setStatus(ControllerGetVolumeResponse.VolumeStatus.newBuilder()
                        .setVolumeCondition(CsiVolumes.condition(volume)))
                .build();
    }

    ListVolumesResponse listVolumes(ListVolumesRequest req) {
        if (req.getMaxEntries() < 0) {
            // spec: max_entries "MUST NOT be negative"
            throw new IllegalArgumentException("max_entries must not be negative, got " + req.getMaxEntries());
        }
        Optional<String> after = req.getStartingToken().isEmpty()
                ? Optional.empty()
                : Optional.of(PageToken.decode(req.getStartingToken()));
        List<NodeVolume> rest = agents.listVolumes().stream()
                .filter(v -> after.isEmpty() || v.volume().volumeId().compareTo(after.get()) > 0)
                .toList();
        int n = req.getMaxEntries() == 0 ? rest.size() : Math.min(req.getMaxEntries(), rest.size());
        ListVolumesResponse.Builder out = ListVolumesResponse.newBuilder();
        for (NodeVolume v : rest.subList(0, n)) {
            out.addEntries(ListVolumesResponse.Entry.newBuilder()
                    .setVolume(withSplit(v))
                    .setStatus(
                            ListVolumesResponse.VolumeStatus.newBuilder().setVolumeCondition(CsiVolumes.condition(v))));
        }
        if (n < rest.size()) {
            out.setNextToken(PageToken.after(rest.get(n - 1).volume().volumeId()));
        }
        return out.build();
    }

    // ---------------------------------------------------------------- GetCapacity

    GetCapacityResponse getCapacity(GetCapacityRequest req) {
        VolumeParameters params = VolumeParameters.parse(req.getParametersMap());
        List<String> nodes = req.hasAccessibleTopology()
                ? List.of(TopologyPicker.nodeOf("accessible_topology", req.getAccessibleTopology()))
                : List.copyOf(agents.nodeIds());
        GetCapacityResponse.Builder out =
                GetCapacityResponse.newBuilder().setMinimumVolumeSize(Int64Value.of(VolumeAgent.SIZE_GRANULARITY));
        if (VolumeCapabilities.capacityProblem(req.getVolumeCapabilitiesList()).isPresent()) {
            // no storage here provisions volumes with a capability that cannot be honoured
            return out.setAvailableCapacity(0)
                    .setMaximumVolumeSize(Int64Value.of(0))
                    .build();
        }
        CapacityPolicy policy = new CapacityPolicy(params.ratio());
        long total = 0;
        long largest = 0;
        for (String node : nodes) {
            Optional<VolumeAgent> agent = agents.agent(node);
            if (agent.isEmpty()) {
                continue; // an unknown node has no capacity
            }
            PoolCapacity pool = agent.get().capacity();
            List<AgentVolume> volumes = agent.get().listVolumes();
            long available = policy.available(pool, volumes);
            total += policy.writable(pool, volumes);
            largest = Math.max(largest, Math.min(available, policy.maximumVolumeSize(pool)));
        }
        return out.setAvailableCapacity(total)
                .setMaximumVolumeSize(Int64Value.of(largest))
                .build();
    }

    // ---------------------------------------------------------------- ControllerExpandVolume, ControllerModifyVolume

    ControllerExpandVolumeResponse controllerExpandVolume(ControllerExpandVolumeRequest req) {
        String volumeId = required("volume_id", req.getVolumeId());
        if (req.getCapacityRange().getRequiredBytes() == 0) {
            throw new IllegalArgumentException("capacity_range.required_bytes missing in request");
        }
        SizeRange range = SizeRange.of(req.getCapacityRange());
        if (req.hasVolumeCapability()) {
            // spec, ControllerExpandVolume errors: "Exceeds capabilities" -> INVALID_ARGUMENT
            VolumeCapabilities.problem(req.getVolumeCapability()).ifPresent(p -> {
                throw new IllegalArgumentException("volume_capability: " + p);
            });
        }
        NodeVolume volume = existing(volumeId);
        VolumeAgent agent = agent(volume.nodeId());
        CapacityPolicy policy = new CapacityPolicy(storedRatio(volume.volume()));
        long current = placement.grow(volumeId, range, volume, agent, policy);
        // a block volume has no file system to grow; without a capability we cannot tell, so the node is asked
        boolean block = req.hasVolumeCapability() && req.getVolumeCapability().hasBlock();
        return ControllerExpandVolumeResponse.newBuilder()
                .setCapacityBytes(current)
                .setNodeExpansionRequired(!block)
                .build();
    }

    ControllerModifyVolumeResponse controllerModifyVolume(ControllerModifyVolumeRequest req) {
        String volumeId = required("volume_id", req.getVolumeId());
        if (req.getMutableParametersCount() == 0) {
            throw new IllegalArgumentException("mutable_parameters missing in request");
        }
        MutableParameters mutable = MutableParameters.parse(req.getMutableParametersMap());
        NodeVolume volume = existing(volumeId);
        // only the given keys change (spec: "SPs MUST NOT modify volumes based on the absence of keys")
        agent(volume.nodeId()).updateAttributes(volumeId, mutable.attributes());
        return ControllerModifyVolumeResponse.getDefaultInstance();
    }

    // ---------------------------------------------------------------- helpers

    private NodeVolume existing(String volumeId) {
        return agents.find(volumeId)
                .orElseThrow(() -> new AgentException(AgentReason.NOT_FOUND, "volume " + volumeId + " does not exist"));
    }

    private VolumeAgent agent(String node) {
        return agent(agents, node);
    }

    static VolumeAgent agent(NodeAgents agents, String node) {
        return agents.agent(node)
                .orElseThrow(() -> new NoSuitableNodeException("no node agent known for node " + node));
    }

    private static double storedRatio(AgentVolume v) {
        String ratio = v.attributes().get(VolumeParameters.OVERPROVISION_RATIO);
        return ratio == null ? 1.0 : Double.parseDouble(ratio);
    }

    /**
     * {@link CsiVolumes#toVolume} plus, in volume_context, {@link #SPLIT_CONTEXT} = the phase of the volume's clone split if it
     * has one. Only ControllerGetVolume and ListVolumes report it: CreateVolume's volume_context is what the CO stores
     * and hands to the node (and what ValidateVolumeCapabilities compares), so it stays the static {@link CsiVolumes#context}.
     */
    private Volume withSplit(NodeVolume v) {
        Volume plain = CsiVolumes.toVolume(v);
        return agents.agent(v.nodeId())
                .flatMap(a -> a.splitStatus(v.volume().volumeId()))
                .map(s -> plain.toBuilder()
                        .putVolumeContext(SPLIT_CONTEXT, s.phase())
                        .build())
                .orElse(plain);
    }

    /** The volume_context key of a clone split's phase (QUEUED, FILLING, DONE, ...) in GetVolume and ListVolumes. */
    static final String SPLIT_CONTEXT = "vdisk.csi.dev/split";

    static String required(String field, String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException(field + " missing in request");
        }
        return value;
    }
}
