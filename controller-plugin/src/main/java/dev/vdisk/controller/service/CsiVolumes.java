package dev.vdisk.controller.service;

import csi.v1.Topology;
import csi.v1.Volume;
import csi.v1.VolumeCondition;
import dev.vdisk.controller.agents.NodeVolume;
import java.util.Map;

/** A node's volume as CSI reports it: the Volume message, its volume_context and its condition. */
final class CsiVolumes {
    private CsiVolumes() {}

    /** The volume as CSI reports it: ID, size, its node as the only accessible topology, its static context. */
    static Volume toVolume(NodeVolume v) {
        Volume.Builder out = Volume.newBuilder()
                .setVolumeId(v.volume().volumeId())
                .setCapacityBytes(v.volume().sizeBytes())
                .putAllVolumeContext(context(v.volume().attributes()))
                .addAccessibleTopology(Topology.newBuilder().putSegments(TopologyPicker.KEY, v.nodeId()));
        // spec, Volume.content_source: "If specified, indicates that the volume is not empty and is pre-populated"
        ContentSource.parse(v.volume().attributes().get(ContentSource.ATTRIBUTE))
                .ifPresent(s -> out.setContentSource(s.toProto()));
        return out.build();
    }

    /** The volume_context: the immutable fsType if the volume has one (spec: the same for the volume's lifetime). */
    static Map<String, String> context(Map<String, String> attributes) {
        String fs = attributes.get(VolumeParameters.FS_TYPE);
        return fs == null ? Map.of() : Map.of(VolumeParameters.FS_TYPE, fs);
    }

    static VolumeCondition condition(NodeVolume v) {
        return v.volume()
                .abnormal()
                .map(why -> VolumeCondition.newBuilder()
                        .setAbnormal(true)
                        .setMessage(why)
                        .build())
                .orElseGet(() -> VolumeCondition.newBuilder()
                        .setAbnormal(false)
                        .setMessage("volume is in the pool of node " + v.nodeId())
                        .build());
    }
}
