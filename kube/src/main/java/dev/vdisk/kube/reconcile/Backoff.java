package dev.vdisk.kube.reconcile;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a key whose handling failed waits before it is handled again: {@code first} after the first failure,
 * doubled after each further one, never more than {@code max}. {@code first == max} is a fixed delay.
 */
public record Backoff(Duration first, Duration max) {

    public Backoff {
        Objects.requireNonNull(first);
        Objects.requireNonNull(max);
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < first <= max, got " + first + " and " + max);
        }
    }

    /** The same delay after every failure. */
    public static Backoff fixed(Duration delay) {
        return new Backoff(delay, delay);
    }

    /** The wait after the {@code failures}-th failure in a row (1 for the first). */
    public Duration after(int failures) {
        Duration wait = first;
        for (int i = 1; i < failures && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) > 0 ? max : wait;
    }
}
