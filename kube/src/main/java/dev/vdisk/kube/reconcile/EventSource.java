package dev.vdisk.kube.reconcile;

import java.util.Objects;

/**
 * Who records the Events: {@code source.component}, and for a per-node component its node ({@code source.host},
 * then also {@code reportingComponent}/{@code reportingInstance}).
 *
 * @param host the node's name, null for a cluster-wide component (the controller)
 */
public record EventSource(String component, String host) {

    public EventSource {
        Objects.requireNonNull(component);
    }

    public static EventSource cluster(String component) {
        return new EventSource(component, null);
    }

    public static EventSource onNode(String component, String nodeName) {
        return new EventSource(component, Objects.requireNonNull(nodeName));
    }
}
