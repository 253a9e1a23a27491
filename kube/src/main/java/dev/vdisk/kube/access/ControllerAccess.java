package dev.vdisk.kube.access;

import java.util.List;

/** API access of {@code dev.vdisk.kube.controller}. */
final class ControllerAccess {

    static final List<ApiRule> RULES = List.of();

    private ControllerAccess() {
    }
}
