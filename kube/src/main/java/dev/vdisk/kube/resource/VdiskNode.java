package dev.vdisk.kube.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A node with a vdisk-csi agent (cluster-scoped, named after the node ID); written by that agent only. */
@Group(ResourceKeys.GROUP)
@Version(ResourceKeys.VERSION)
@Plural("vdisknodes")
@ShortNames("vdn")
@AdditionalPrinterColumn(
        name = "Total",
        jsonPath = ".status.capacity.totalBytes",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Available",
        jsonPath = ".status.capacity.availableBytes",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Heartbeat",
        jsonPath = ".status.heartbeatTime",
        type = AdditionalPrinterColumn.Type.DATE)
public class VdiskNode extends CustomResource<Void, VdiskNodeStatus> {
    private static final long serialVersionUID = 1L;
}
