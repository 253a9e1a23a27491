package dev.vdisk.controller.service;

import csi.v1.VolumeCapability;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.controller.agents.NodeVolume;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CreateVolume's checks of a request against itself and against the volume a retry finds: each a reason, or an
 * exception for a request that contradicts itself. Pure functions of their arguments.
 */
final class CreateVolumeChecks {
    private static final Logger LOG = LoggerFactory.getLogger(CreateVolumeChecks.class);

    private CreateVolumeChecks() {}

    /**
     * {@code copy} when the clone's backing chain (its source's, plus one) is longer than its {@code maxChainDepth}:
     * every read of a hole walks the chain, so a long one slows the clone down; a copy split ends its chain (depth 0)
     * and leaves it sharing no data with its former chain. Without the parameter, no limit.
     */
    static Optional<String> tooDeep(String volumeId, int depth, VolumeParameters params) {
        if (params.maxChainDepth().isEmpty() || depth <= params.maxChainDepth().getAsInt()) {
            return Optional.empty();
        }
        LOG.info(
                "volume {}: chain depth {} exceeds maxChainDepth {}; splitting it in copy mode",
                volumeId,
                depth,
                params.maxChainDepth().getAsInt());
        return Optional.of("copy");
    }

    /** The split the controller asked for when it created this clone ({@link CloneSplitHook#REQUESTED}). */
    static Optional<String> requestedSplit(NodeVolume clone) {
        return Optional.ofNullable(clone.volume().attributes().get(CloneSplitHook.REQUESTED));
    }

    /** Why the existing volume's content source is not the requested one, if it is not. */
    static Optional<String> sourceMismatch(NodeVolume existing, Optional<ContentSource> asked) {
        Optional<ContentSource> has =
                ContentSource.parse(existing.volume().attributes().get(ContentSource.ATTRIBUTE));
        if (has.equals(asked)) {
            return Optional.empty();
        }
        return Optional.of(
                "it was created from " + has.map(ContentSource::toString).orElse("no content source") + ", not from "
                        + asked.map(ContentSource::toString).orElse("no content source"));
    }

    static void checkConsistent(VolumeParameters params, MutableParameters mutable, List<VolumeCapability> caps) {
        if (params.splitOnClone().isPresent()
                && mutable.splitOnClone().isPresent()
                && !params.splitOnClone().equals(mutable.splitOnClone())) {
            throw new IllegalArgumentException(
                    "splitOnClone is '" + params.splitOnClone().get() + "' in parameters but '"
                            + mutable.splitOnClone().get() + "' in mutable_parameters");
        }
        Set<String> fs = VolumeCapabilities.fsTypes(caps);
        if (fs.size() > 1) {
            throw new IllegalArgumentException("volume_capabilities name different file systems " + fs);
        }
        if (params.fsType().isPresent()
                && !fs.isEmpty()
                && !fs.contains(params.fsType().get())) {
            throw new IllegalArgumentException(
                    "parameter fsType=" + params.fsType().get() + " contradicts the volume capability's fs_type "
                            + fs.iterator().next());
        }
    }

    /** Why the existing volume is not what this CreateVolume asks for, if it is not. */
    static Optional<String> incompatibility(
            NodeVolume existing,
            String name,
            SizeRange range,
            List<VolumeCapability> caps,
            VolumeParameters params,
            TopologyPicker topology) {
        AgentVolume v = existing.volume();
        Map<String, String> stored = v.attributes();
        if (!name.equals(stored.get(VolumeController.NAME))) {
            return Optional.of("it was not created for this name (created for '"
                    + stored.getOrDefault(VolumeController.NAME, "") + "', or outside CreateVolume)");
        }
        if (!range.admits(v.sizeBytes())) {
            return Optional.of("its size " + v.sizeBytes() + " is outside capacity_range " + range);
        }
        if (!topology.allows(existing.nodeId())) {
            return Optional.of("it is on node " + existing.nodeId() + ", which is not among the requisite topologies");
        }
        Optional<String> mismatch = params.mismatch(stored);
        if (mismatch.isPresent()) {
            return mismatch;
        }
        return fsMismatch(stored, caps);
    }

    static Optional<String> fsMismatch(Map<String, String> stored, List<VolumeCapability> caps) {
        String fs = stored.get(VolumeParameters.FS_TYPE);
        Set<String> asked = VolumeCapabilities.fsTypes(caps);
        if (fs != null && !asked.isEmpty() && !asked.equals(Set.of(fs))) {
            return Optional.of("it was created for file system " + fs + ", not " + asked);
        }
        return Optional.empty();
    }
}
