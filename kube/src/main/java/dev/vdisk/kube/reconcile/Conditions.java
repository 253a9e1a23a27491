package dev.vdisk.kube.reconcile;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A status's conditions the Kubernetes way: one per type, each with a CamelCase reason, a message for people and
 * the generation it answers; {@code lastTransitionTime} moves only when the condition's status changes, so an
 * unchanged condition compares equal and causes no write.
 *
 * <pre>{@code new Conditions(old.conditions(), generation, now).set("Ready", true, "InPool", "...").build()}</pre>
 */
public final class Conditions {

    private final List<Condition> previous;
    private final long generation;
    private final Instant now;
    /** type -> the condition set for it, in the order first set. */
    private final Map<String, Condition> set = new LinkedHashMap<>();

    /** @param previous the conditions the object has now (null: none) */
    public Conditions(List<Condition> previous, Long generation, Instant now) {
        this.previous = previous == null ? List.of() : previous;
        this.generation = generation == null ? 0 : generation;
        this.now = now;
    }

    /** Sets the condition of {@code type} (again: the later call wins). */
    public Conditions set(String type, boolean status, String reason, String message) {
        String s = status ? "True" : "False";
        Condition before = find(previous, type);
        String since = before != null && before.getStatus().equals(s)
                ? before.getLastTransitionTime()
                : Timestamps.format(now);
        set.put(
                type,
                new ConditionBuilder()
                        .withType(type)
                        .withStatus(s)
                        .withReason(reason)
                        .withMessage(Objects.requireNonNullElse(message, ""))
                        .withObservedGeneration(generation)
                        .withLastTransitionTime(since)
                        .build());
        return this;
    }

    /** Only the conditions set here: a type the status no longer speaks of is dropped. */
    public List<Condition> build() {
        return List.copyOf(set.values());
    }

    /** The previous conditions with the ones set here in place of those of their type, new types at the end. */
    public List<Condition> merged() {
        List<Condition> out = new ArrayList<>(previous.size() + set.size());
        for (Condition c : previous) {
            out.add(set.getOrDefault(c.getType(), c));
        }
        set.values().stream().filter(c -> find(previous, c.getType()) == null).forEach(out::add);
        return List.copyOf(out);
    }

    /** The condition of {@code type}, null if there is none. */
    public static Condition find(List<Condition> conditions, String type) {
        return conditions == null
                ? null
                : conditions.stream()
                        .filter(c -> c.getType().equals(type))
                        .findFirst()
                        .orElse(null);
    }
}
