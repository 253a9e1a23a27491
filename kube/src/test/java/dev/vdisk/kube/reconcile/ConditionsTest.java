package dev.vdisk.kube.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lastTransitionTime moves only with the status; build() keeps only what was set, merged() keeps the rest. */
class ConditionsTest {

    private static final Instant T1 = Instant.parse("2026-12-07T10:00:00.700Z");
    private static final Instant T2 = Instant.parse("2026-12-07T11:00:00Z");

    @Test
    void anUnchangedStatusKeepsItsTransitionTimeAndComparesEqual() {
        List<Condition> first = new Conditions(null, 3L, T1)
                .set("Ready", true, "InPool", "in the pool")
                .build();
        List<Condition> again = new Conditions(first, 3L, T2)
                .set("Ready", true, "InPool", "in the pool")
                .build();
        assertEquals(first, again, "no change, no write");
        assertEquals("2026-12-07T10:00:00Z", again.getFirst().getLastTransitionTime());
        assertEquals(3L, again.getFirst().getObservedGeneration());

        List<Condition> flipped = new Conditions(again, 4L, T2)
                .set("Ready", false, "Missing", null)
                .build();
        assertEquals("2026-12-07T11:00:00Z", flipped.getFirst().getLastTransitionTime());
        assertEquals("", flipped.getFirst().getMessage());
    }

    @Test
    void buildDropsTypesNotSetWhileMergedKeepsThemInPlace() {
        List<Condition> old = new Conditions(null, 1L, T1)
                .set("Accepted", true, "Accepted", "ok")
                .set("Complete", false, "Running", "10%")
                .build();

        Conditions next = new Conditions(old, 1L, T2)
                .set("Failed", true, "OutOfSpace", "0 B free")
                .set("Accepted", true, "Accepted", "ok");
        assertEquals(
                List.of("Failed", "Accepted"),
                next.build().stream().map(Condition::getType).toList());
        List<Condition> merged = next.merged();
        assertEquals(
                List.of("Accepted", "Complete", "Failed"),
                merged.stream().map(Condition::getType).toList());
        assertEquals(old.get(1), merged.get(1), "a type not set stays as it was");
        assertEquals("2026-12-07T10:00:00Z", Conditions.find(merged, "Accepted").getLastTransitionTime());
        assertNull(Conditions.find(merged, "Paused"));
    }
}
