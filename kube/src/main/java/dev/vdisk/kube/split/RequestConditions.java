package dev.vdisk.kube.split;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The conditions of a split request: {@code Accepted} (the PVC leads to a clone of ours and no other split runs on
 * it), {@code Complete} and {@code Failed}, each with a CamelCase reason and a message for people.
 */
final class RequestConditions {

    static final String ACCEPTED = "Accepted";
    static final String COMPLETE = "Complete";
    static final String FAILED = "Failed";

    private RequestConditions() {
    }

    static Condition of(String type, boolean status, String reason, String message, long generation, Instant now) {
        return new ConditionBuilder().withType(type).withStatus(status ? "True" : "False").withReason(reason)
                .withMessage(message).withObservedGeneration(generation)
                .withLastTransitionTime(now.truncatedTo(ChronoUnit.SECONDS).toString()).build();
    }

    /**
     * {@code old} with {@code updates} replacing the conditions of the same type; a condition whose status did not
     * change keeps its lastTransitionTime, as Kubernetes conventions ask.
     */
    static List<Condition> merge(List<Condition> old, Condition... updates) {
        List<Condition> out = new ArrayList<>(old == null ? List.of() : old);
        for (Condition u : updates) {
            int i = indexOf(out, u.getType());
            if (i < 0) {
                out.add(u);
                continue;
            }
            Condition before = out.get(i);
            if (before.getStatus().equals(u.getStatus())) {
                u = new ConditionBuilder(u).withLastTransitionTime(before.getLastTransitionTime()).build();
            }
            out.set(i, u);
        }
        return List.copyOf(out);
    }

    static Condition find(List<Condition> conditions, String type) {
        int i = conditions == null ? -1 : indexOf(conditions, type);
        return i < 0 ? null : conditions.get(i);
    }

    private static int indexOf(List<Condition> conditions, String type) {
        for (int i = 0; i < conditions.size(); i++) {
            if (conditions.get(i).getType().equals(type)) {
                return i;
            }
        }
        return -1;
    }
}
