package dev.vdisk.kube.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One CSI volume (cluster-scoped, named after its volume ID), bound to the node whose pool holds it. */
@Group(ResourceKeys.GROUP)
@Version(ResourceKeys.VERSION)
@Plural("vdiskvolumes")
@ShortNames("vdv")
@AdditionalPrinterColumn(name = "Node", jsonPath = ".spec.nodeName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Size", jsonPath = ".spec.sizeBytes", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Allocated",
        jsonPath = ".status.allocatedBytes",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Backing",
        jsonPath = ".status.backingSnapshotId",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Split", jsonPath = ".status.split.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class VdiskVolume extends CustomResource<VdiskVolumeSpec, VdiskVolumeStatus> {
    private static final long serialVersionUID = 1L;
}
