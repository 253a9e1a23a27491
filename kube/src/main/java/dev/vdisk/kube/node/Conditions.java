package dev.vdisk.kube.node;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a status's conditions the Kubernetes way: one per type, {@code lastTransitionTime} moves only when the
 * condition's status changes (so an unchanged condition compares equal and causes no write).
 */
final class Conditions {
    private final List<Condition> previous;
    private final long generation;
    private final Instant now;
    private final List<Condition> out = new ArrayList<>();

    Conditions(List<Condition> previous, Long generation, Instant now) {
        this.previous = previous == null ? List.of() : previous;
        this.generation = generation == null ? 0 : generation;
        this.now = now;
    }

    Conditions set(String type, boolean status, String reason, String message) {
        String s = status ? "True" : "False";
        String since = previous.stream().filter(c -> c.getType().equals(type) && c.getStatus().equals(s)).findFirst()
                .map(Condition::getLastTransitionTime).orElse(Timestamps.format(now));
        out.add(new ConditionBuilder().withType(type).withStatus(s).withReason(reason)
                .withMessage(Objects.requireNonNullElse(message, "")).withObservedGeneration(generation)
                .withLastTransitionTime(since).build());
        return this;
    }

    List<Condition> build() {
        return List.copyOf(out);
    }
}
