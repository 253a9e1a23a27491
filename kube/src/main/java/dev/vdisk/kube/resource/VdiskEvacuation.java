package dev.vdisk.kube.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Replicate every volume of a node to other nodes, so that each can be restored elsewhere (cluster-scoped: an
 * operator's act on a node). The controller makes one {@link VdiskReplication} without interval per volume and
 * reports, per volume, the snapshot to restore from.
 */
@Group(ResourceKeys.GROUP)
@Version(ResourceKeys.VERSION)
@Plural("vdiskevacuations")
@ShortNames("vevac")
@AdditionalPrinterColumn(name = "Node", jsonPath = ".spec.nodeName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Done", jsonPath = ".status.volumesDone", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Of", jsonPath = ".status.volumesTotal", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class VdiskEvacuation extends CustomResource<VdiskEvacuationSpec, VdiskEvacuationStatus> {
    private static final long serialVersionUID = 1L;
}
