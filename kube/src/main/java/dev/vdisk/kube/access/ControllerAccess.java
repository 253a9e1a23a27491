package dev.vdisk.kube.access;

import dev.vdisk.kube.resource.ResourceKeys;
import java.util.List;
import java.util.stream.Stream;

/**
 * API access of {@code dev.vdisk.kube.controller}: CSI calls become resources bound to a node (create, then a
 * bounded wait: get plus list/watch of the one name; edits of a volume's spec are patches; deletion is a delete that
 * the node agent's finalizer completes), the nodes are read from VdiskNode (written by node agents only), and the
 * replicas elect their leader on a Lease.
 */
final class ControllerAccess {

    /** The controller's own rules and those of the split-request controller it runs as leader. */
    static final List<ApiRule> RULES = Stream.concat(
                    Stream.of(
                            ApiRule.of(
                                    ResourceKeys.GROUP,
                                    "vdiskvolumes",
                                    "get",
                                    "list",
                                    "watch",
                                    "create",
                                    "patch",
                                    "delete"),
                            ApiRule.of(
                                    ResourceKeys.GROUP, "vdisksnapshots", "get", "list", "watch", "create", "delete"),
                            ApiRule.of(
                                    ResourceKeys.GROUP,
                                    "vdiskgroupsnapshots",
                                    "get",
                                    "list",
                                    "watch",
                                    "create",
                                    "delete"),
                            ApiRule.of(ResourceKeys.GROUP, "vdisknodes", "get", "list"),
                            // fabric8's LeaseLock: read, create the first time, then renew, take over or release (all
                            // patches)
                            ApiRule.of("coordination.k8s.io", "leases", "get", "create", "patch")),
                    SplitControllerAccess.RULES.stream())
            .toList();

    private ControllerAccess() {}
}
