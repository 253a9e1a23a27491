package dev.vdisk.kube.access;

import dev.vdisk.kube.resource.ResourceKeys;
import java.util.List;

/**
 * API access of {@code dev.vdisk.kube.node} and the server side of {@code dev.vdisk.kube.agentapi}: informers (list,
 * watch) on the resources bound to the node; the finalizer (get then patch: fabric8's edit); status through the status
 * subresource (merge patch); the VdiskNode (create once, then status patches; another node's is read for its agent
 * address when pulling a replica); Events on its resources; TokenReview for the internal API's callers.
 */
final class NodeAccess {

    static final List<ApiRule> RULES = List.of(
            ApiRule.of(ResourceKeys.GROUP, "vdiskvolumes", "get", "list", "watch", "patch"),
            ApiRule.of(ResourceKeys.GROUP, "vdiskvolumes/status", "patch"),
            ApiRule.of(ResourceKeys.GROUP, "vdisksnapshots", "get", "list", "watch", "patch"),
            ApiRule.of(ResourceKeys.GROUP, "vdisksnapshots/status", "patch"),
            ApiRule.of(ResourceKeys.GROUP, "vdiskgroupsnapshots", "get", "list", "watch", "patch"),
            ApiRule.of(ResourceKeys.GROUP, "vdiskgroupsnapshots/status", "patch"),
            ApiRule.of(ResourceKeys.GROUP, "vdisknodes", "get", "create"),
            ApiRule.of(ResourceKeys.GROUP, "vdisknodes/status", "patch"),
            ApiRule.of("", "events", "create"),
            ApiRule.of("authentication.k8s.io", "tokenreviews", "create"));

    private NodeAccess() {}
}
