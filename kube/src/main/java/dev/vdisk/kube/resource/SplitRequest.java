package dev.vdisk.kube.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Split a PVC's clone off its backing snapshot, from kubectl. Namespaced, so RBAC can grant it to namespace users
 * without cluster-wide rights; deleting it while the split runs cancels the split.
 */
@Group(ResourceKeys.GROUP)
@Version(ResourceKeys.VERSION)
@Plural("splitrequests")
@ShortNames("vsplit")
@AdditionalPrinterColumn(name = "PVC", jsonPath = ".spec.pvcName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Mode", jsonPath = ".spec.mode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Progress", jsonPath = ".status.percent", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Bytes/s",
        jsonPath = ".status.bytesPerSecond",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "ETA(s)", jsonPath = ".status.etaSeconds", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class SplitRequest extends CustomResource<SplitRequestSpec, SplitRequestStatus> implements Namespaced {
    private static final long serialVersionUID = 1L;
}
