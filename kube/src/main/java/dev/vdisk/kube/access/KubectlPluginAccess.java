package dev.vdisk.kube.access;

import java.util.List;

/** API access of {@code dev.vdisk.kube.cli}. */
final class KubectlPluginAccess {

    static final List<ApiRule> RULES = List.of();

    private KubectlPluginAccess() {
    }
}
