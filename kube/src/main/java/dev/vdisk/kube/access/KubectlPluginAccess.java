package dev.vdisk.kube.access;

import java.util.List;

/**
 * API access of {@code dev.vdisk.kube.cli} ({@code kubectl vdisk}, with the user's own credentials). {@code split}
 * needs only the namespaced rows (PVC get, splitrequests create/get); {@code status} and {@code tree} also read the
 * cluster-scoped PVs, VdiskVolumes and VdiskSnapshots.
 */
final class KubectlPluginAccess {

    static final List<ApiRule> RULES = List.of(
            ApiRule.of("", "persistentvolumeclaims", "get"),
            ApiRule.of("vdisk.csi.dev", "splitrequests", "create", "get"),
            ApiRule.of("", "persistentvolumes", "get", "list"),
            ApiRule.of("vdisk.csi.dev", "vdiskvolumes", "get", "list"),
            ApiRule.of("vdisk.csi.dev", "vdisksnapshots", "get", "list"));

    private KubectlPluginAccess() {}
}
