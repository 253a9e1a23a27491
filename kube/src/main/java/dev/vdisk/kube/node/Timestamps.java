package dev.vdisk.kube.node;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** RFC 3339 times as Kubernetes writes them: UTC, whole seconds. */
final class Timestamps {

    private Timestamps() {
    }

    static String format(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static String ofMillis(long epochMillis) {
        return format(Instant.ofEpochMilli(epochMillis));
    }
}
