package dev.vdisk.kube.access;

import java.util.List;

/** API access of {@code dev.vdisk.kube.node}. */
final class NodeAccess {

    static final List<ApiRule> RULES = List.of();

    private NodeAccess() {
    }
}
