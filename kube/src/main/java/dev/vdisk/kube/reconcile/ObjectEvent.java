package dev.vdisk.kube.reconcile;

import java.util.Objects;

/**
 * One Event to record on an object, for {@code kubectl describe}.
 *
 * @param reason  UpperCamelCase, what then how it went ({@code SplitStarted}, {@code DeleteFailed}): one of
 *                {@link dev.vdisk.kube.resource.EventReasons}
 * @param message for people: what, how far, why
 */
public record ObjectEvent(EventType type, String reason, String message) {

    public ObjectEvent {
        Objects.requireNonNull(type);
        Objects.requireNonNull(reason);
        Objects.requireNonNull(message);
    }

    public static ObjectEvent normal(String reason, String message) {
        return new ObjectEvent(EventType.Normal, reason, message);
    }

    public static ObjectEvent warning(String reason, String message) {
        return new ObjectEvent(EventType.Warning, reason, message);
    }
}
