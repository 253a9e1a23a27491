package dev.vdisk.kube.cli;

import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import dev.vdisk.kube.split.ByteUnits;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kubectl vdisk tree PVC}: the clone lineage around a PVC's volume, from the oldest ancestor down. A volume's
 * children are its snapshots; a snapshot's children are the clones that read through it. A snapshot whose
 * VdiskSnapshot is gone but that clones still read through is shown as hidden (deleting a VolumeSnapshot with
 * dependents always succeeds; its data lives on for them).
 */
final class TreeCommand {

    private final KubernetesClient client;
    private final PrintStream out;

    private Map<String, VdiskVolume> volumes;
    private Map<String, VdiskSnapshot> snapshots;
    private Map<String, String> claimByVolume;

    TreeCommand(KubernetesClient client, PrintStream out) {
        this.client = client;
        this.out = out;
    }

    int run(Invocation inv, String namespace) throws PluginException {
        PvcVolume found = PvcVolume.find(client, namespace, inv.pvc());
        volumes = new HashMap<>();
        client.resources(VdiskVolume.class)
                .list()
                .getItems()
                .forEach(v -> volumes.put(v.getMetadata().getName(), v));
        snapshots = new HashMap<>();
        client.resources(VdiskSnapshot.class)
                .list()
                .getItems()
                .forEach(s -> snapshots.put(s.getMetadata().getName(), s));
        claimByVolume = new HashMap<>();
        for (PersistentVolume pv : client.persistentVolumes().list().getItems()) {
            if (pv.getSpec() != null
                    && pv.getSpec().getCsi() != null
                    && pv.getSpec().getClaimRef() != null) {
                claimByVolume.put(
                        pv.getSpec().getCsi().getVolumeHandle(),
                        pv.getSpec().getClaimRef().getNamespace() + "/"
                                + pv.getSpec().getClaimRef().getName());
            }
        }
        String backing = backingOf(found.volumeId());
        out.println("PVC " + namespace + "/" + inv.pvc() + " (volume " + found.volumeId() + ") "
                + (backing == null
                        ? "reads through no snapshot"
                        : "reads through snapshot " + backing + (hidden(backing) ? " (hidden)" : "")));
        Node root = root(found.volumeId());
        print(root, "", "", found.volumeId());
        return ExitCodes.OK;
    }

    /** A volume or a snapshot, {@code snapshot} telling which. */
    private record Node(String id, boolean snapshot) {}

    /** Walks up from the volume: its backing snapshot, that snapshot's source volume, ... to the oldest known. */
    private Node root(String volumeId) {
        Node node = new Node(volumeId, false);
        Set<String> seen = new HashSet<>();
        while (seen.add(node.id())) {
            if (!node.snapshot()) {
                String backing = backingOf(node.id());
                if (backing == null) {
                    return node;
                }
                node = new Node(backing, true);
            } else {
                VdiskSnapshot snap = snapshots.get(node.id());
                if (snap == null || !volumes.containsKey(snap.getSpec().sourceVolumeId())) {
                    return node; // hidden, or its source volume is gone: the oldest we can name
                }
                node = new Node(snap.getSpec().sourceVolumeId(), false);
            }
        }
        return node;
    }

    private void print(Node node, String firstPrefix, String restPrefix, String self) {
        out.println(firstPrefix + label(node, self));
        List<Node> children = children(node);
        for (int i = 0; i < children.size(); i++) {
            boolean last = i == children.size() - 1;
            print(children.get(i), restPrefix + (last ? "└── " : "├── "), restPrefix + (last ? "    " : "│   "), self);
        }
    }

    private List<Node> children(Node node) {
        List<Node> out = new ArrayList<>();
        if (node.snapshot()) {
            volumes.values().stream()
                    .filter(v -> node.id().equals(backing(v.getStatus())))
                    .sorted(Comparator.comparing(v -> v.getMetadata().getName()))
                    .forEach(v -> out.add(new Node(v.getMetadata().getName(), false)));
        } else {
            snapshots.values().stream()
                    .filter(s -> node.id().equals(s.getSpec().sourceVolumeId()))
                    .sorted(Comparator.comparing(s -> s.getMetadata().getName()))
                    .forEach(s -> out.add(new Node(s.getMetadata().getName(), true)));
        }
        return out;
    }

    private String label(Node node, String self) {
        if (node.snapshot()) {
            long dependents = volumes.values().stream()
                    .filter(v -> node.id().equals(backing(v.getStatus())))
                    .count();
            String base = "snapshot " + node.id();
            if (hidden(node.id())) {
                return base + "  (hidden: deleted, kept for " + dependents + " dependent" + (dependents == 1 ? "" : "s")
                        + ")";
            }
            VdiskSnapshot s = snapshots.get(node.id());
            return base
                    + (s.getStatus() == null
                            ? ""
                            : "  " + ByteUnits.format(s.getStatus().sizeBytes()))
                    + (dependents == 0 ? "" : "  " + dependents + " clone" + (dependents == 1 ? "" : "s"));
        }
        VdiskVolume v = volumes.get(node.id());
        StringBuilder b = new StringBuilder("volume " + node.id());
        String claim = claimByVolume.get(node.id());
        b.append("  ").append(claim == null ? "(no PVC)" : "PVC " + claim);
        if (v != null && v.getStatus() != null) {
            VdiskVolumeStatus s = v.getStatus();
            b.append("  ").append(ByteUnits.format(s.allocatedBytes())).append(" allocated");
            if (s.split() != null && !"DONE".equals(s.split().phase())) {
                b.append("  split ")
                        .append(s.split().phase())
                        .append(' ')
                        .append(s.split().percent())
                        .append('%');
            }
        }
        if (v != null) {
            b.append("  on ").append(v.getSpec().nodeName());
        }
        if (node.id().equals(self)) {
            b.append("  <- this PVC");
        }
        return b.toString();
    }

    private boolean hidden(String snapshotId) {
        VdiskSnapshot s = snapshots.get(snapshotId);
        return s == null || s.getMetadata().getDeletionTimestamp() != null;
    }

    private String backingOf(String volumeId) {
        VdiskVolume v = volumes.get(volumeId);
        return v == null ? null : backing(v.getStatus());
    }

    private static String backing(VdiskVolumeStatus s) {
        return s == null
                        || s.backingSnapshotId() == null
                        || s.backingSnapshotId().isEmpty()
                ? null
                : s.backingSnapshotId();
    }
}
