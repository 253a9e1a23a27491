package dev.vdisk.kube.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Keep a PVC's volume replicated on another node: every interval the volume's node takes a snapshot and the target
 * node pulls what changed since the last one. Namespaced, beside the PVC, so namespace users can be granted it.
 * Without an interval it replicates one snapshot and stops (what an evacuation asks for).
 */
@Group(ResourceKeys.GROUP)
@Version(ResourceKeys.VERSION)
@Plural("vdiskreplications")
@ShortNames("vrep")
@AdditionalPrinterColumn(name = "PVC", jsonPath = ".spec.pvcName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Target", jsonPath = ".status.targetNode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Progress", jsonPath = ".status.percent", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Replicated",
        jsonPath = ".status.lastReplicatedTime",
        type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class VdiskReplication extends CustomResource<VdiskReplicationSpec, VdiskReplicationStatus>
        implements Namespaced {
    private static final long serialVersionUID = 1L;
}
