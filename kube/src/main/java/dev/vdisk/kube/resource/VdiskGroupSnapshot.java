package dev.vdisk.kube.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One CSI volume group snapshot (cluster-scoped, named after its group ID): the member snapshots are taken in one
 * consistency point of the node's pool; each also gets its own {@link VdiskSnapshot}.
 */
@Group(ResourceKeys.GROUP)
@Version(ResourceKeys.VERSION)
@Plural("vdiskgroupsnapshots")
@ShortNames("vdgs")
@AdditionalPrinterColumn(name = "Node", jsonPath = ".spec.nodeName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class VdiskGroupSnapshot extends CustomResource<VdiskGroupSnapshotSpec, VdiskGroupSnapshotStatus> {
    private static final long serialVersionUID = 1L;
}
