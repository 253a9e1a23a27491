package dev.vdisk.kube.access;

import java.util.Objects;
import java.util.Set;

/**
 * One RBAC-style permission: these verbs on this resource of this API group ({@code ""} for the core group).
 * Subresources are written as Kubernetes does: {@code vdiskvolumes/status}.
 */
public record ApiRule(String apiGroup, String resource, Set<String> verbs) {

    public ApiRule {
        Objects.requireNonNull(apiGroup);
        Objects.requireNonNull(resource);
        verbs = Set.copyOf(verbs);
    }

    public static ApiRule of(String apiGroup, String resource, String... verbs) {
        return new ApiRule(apiGroup, resource, Set.of(verbs));
    }
}
