package dev.vdisk.kube.reconcile;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** RFC 3339 times as Kubernetes writes them: UTC, whole seconds. */
public final class Timestamps {

    private Timestamps() {}

    public static String format(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    public static String ofMillis(long epochMillis) {
        return format(Instant.ofEpochMilli(epochMillis));
    }
}
