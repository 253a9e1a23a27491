package dev.vdisk.kube.cli;

import dev.vdisk.cli.shared.ProgressBar;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitSpec;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import dev.vdisk.kube.split.ByteUnits;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintStream;
import java.util.Locale;

/** {@code kubectl vdisk status PVC}: volume, node, size, allocated, backing snapshot and split of a PVC. */
final class StatusCommand {

    private final KubernetesClient client;
    private final PrintStream out;

    StatusCommand(KubernetesClient client, PrintStream out) {
        this.client = client;
        this.out = out;
    }

    int run(Invocation inv, String namespace) throws PluginException {
        PvcVolume found = PvcVolume.find(client, namespace, inv.pvc());
        VdiskVolume v = found.volume();
        VdiskVolumeStatus s = v.getStatus();
        row("PVC", namespace + "/" + inv.pvc());
        row("Volume", found.volumeId() + " (PV " + found.pv().getMetadata().getName() + ")");
        row("Node", v.getSpec().nodeName());
        row(
                "Phase",
                s == null || s.phase() == null
                        ? "Pending (no report from the node agent yet)"
                        : s.phase()
                                + (s.failure() == null
                                        ? ""
                                        : " (" + s.failure().reason() + ": "
                                                + s.failure().message() + ")"));
        row(
                "Size",
                ByteUnits.format(
                        s != null && s.sizeBytes() > 0
                                ? s.sizeBytes()
                                : v.getSpec().sizeBytes()));
        if (s != null) {
            row(
                    "Allocated",
                    ByteUnits.format(s.allocatedBytes())
                            + (s.sharedBytes() > 0
                                    ? " (" + ByteUnits.format(s.sharedBytes())
                                            + " of it read through the backing snapshot)"
                                    : ""));
            row("Backing", backing(s));
            if (s.abnormal() != null && !s.abnormal().isEmpty()) {
                row("Abnormal", s.abnormal());
            }
        }
        row("Split", split(v.getSpec().split(), s == null ? null : s.split()));
        return ExitCodes.OK;
    }

    private String backing(VdiskVolumeStatus s) {
        String id = s.backingSnapshotId();
        if (id == null || id.isEmpty()) {
            return "none (independent: reads through no snapshot)";
        }
        VdiskSnapshot snap = client.resources(VdiskSnapshot.class).withName(id).get();
        String what = snap == null || snap.getMetadata().getDeletionTimestamp() != null
                ? " (hidden: its snapshot was deleted, the data is kept for the volumes that read through it)"
                : " (snapshot of volume " + snap.getSpec().sourceVolumeId() + ")";
        return id + what + ", chain depth " + s.chainDepth();
    }

    private static String split(SplitSpec asked, SplitProgress p) {
        String by = asked == null ? "" : " (" + asked.requestedBy() + (asked.cancel() ? ", cancelling" : "") + ")";
        if (p == null) {
            return asked == null ? "none" : asked.mode() + " split asked" + by + ", not started yet";
        }
        StringBuilder b = new StringBuilder(String.format(
                Locale.ROOT,
                "%s %s %d%%, %s relocated",
                p.mode(),
                p.phase(),
                p.percent(),
                ByteUnits.format(p.bytesRelocated())));
        if (!"DONE".equals(p.phase()) && !"CANCELLED".equals(p.phase()) && !"FAILED".equals(p.phase())) {
            b.append(", ")
                    .append(ByteUnits.format(p.bytesPerSecond()))
                    .append("/s, ETA ")
                    .append(ProgressBar.eta(p.etaSeconds()));
        }
        if (p.message() != null && !p.message().isEmpty()) {
            b.append(" (").append(p.message()).append(')');
        }
        if (p.completionTime() != null && !p.completionTime().isEmpty()) {
            b.append(", finished ").append(p.completionTime());
        } else if (p.startTime() != null && !p.startTime().isEmpty()) {
            b.append(", started ").append(p.startTime());
        }
        return b + by;
    }

    private void row(String key, String value) {
        out.printf(Locale.ROOT, "%-10s %s%n", key + ":", value);
    }
}
