package dev.vdisk.kube.access;

import java.util.List;

/**
 * API access of {@code dev.vdisk.kube.split} (the split request controller, run by the controller leader); part of
 * the controller's rules ({@link ControllerAccess} concatenates it).
 */
public final class SplitControllerAccess {

    /** Exact: the split controller test fails on a request not listed here. */
    public static final List<ApiRule> RULES = List.of(
            // informers (list, watch); the reconciler reads each request fresh (get), sets/removes its finalizer
            // (patch); a PVC annotation creates an owned request, removing it deletes that request
            ApiRule.of("vdisk.csi.dev", "splitrequests", "get", "list", "watch", "create", "patch", "delete"),
            ApiRule.of("vdisk.csi.dev", "splitrequests/status", "patch"),
            // spec.split of the PVC's volume; the informer wakes requests on the node agent's progress
            ApiRule.of("vdisk.csi.dev", "vdiskvolumes", "get", "list", "watch", "patch"),
            // PVC → PV → CSI volume handle; the PVC informer sees the split annotation
            ApiRule.of("", "persistentvolumeclaims", "get", "list", "watch"),
            ApiRule.of("", "persistentvolumes", "get"),
            // SplitStarted/SplitProgress/SplitCompleted/SplitFailed/SplitCancelled on the PVC
            ApiRule.of("", "events", "create"));

    private SplitControllerAccess() {}
}
