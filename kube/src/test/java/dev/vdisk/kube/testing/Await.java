package dev.vdisk.kube.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling for what a controller or node agent does in the background: the one wait the kube tests share. */
public final class Await {
    private static final Duration POLL = Duration.ofMillis(25);

    private Await() {}

    /** Waits up to {@code timeout} for {@code condition}; fails naming {@code what} and what {@code shown} says now. */
    public static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<Object> shown) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what + "; last seen: " + shown.get());
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
