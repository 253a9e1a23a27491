package dev.vdisk.kube.agentapi;

import java.util.Objects;

/** A Kubernetes service account, as the launcher's {@code NAMESPACE:NAME} flags write it. */
public record ServiceAccountName(String namespace, String name) {

    public ServiceAccountName {
        Objects.requireNonNull(namespace);
        Objects.requireNonNull(name);
        if (namespace.isBlank() || name.isBlank()) {
            throw new IllegalArgumentException("a service account needs a namespace and a name");
        }
    }

    /** Parses {@code NAMESPACE:NAME}. */
    public static ServiceAccountName parse(String s) {
        int colon = s.indexOf(':');
        if (colon <= 0 || colon == s.length() - 1 || s.indexOf(':', colon + 1) >= 0) {
            throw new IllegalArgumentException("expected NAMESPACE:SERVICEACCOUNT, got '" + s + "'");
        }
        return new ServiceAccountName(s.substring(0, colon), s.substring(colon + 1));
    }

    /** The user name the API server gives this account's tokens (TokenReview's status.user.username). */
    public String username() {
        return "system:serviceaccount:" + namespace + ":" + name;
    }

    @Override
    public String toString() {
        return namespace + ":" + name;
    }
}
