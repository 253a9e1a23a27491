package dev.vdisk.kube.controller;

import dev.vdisk.controller.service.OperationPendingException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The controller's one way to wait for a node agent: a watch on the one resource until a condition holds, at most
 * {@link #timeout}. Past it the call answers "operation pending" (ABORTED): the CO retries, and the retry finds the
 * same resource (named after the CSI id) and waits for it again, so no work is repeated or lost.
 */
record ResourceWait(Duration timeout) {

    ResourceWait {
        Objects.requireNonNull(timeout);
    }

    /** How often a wait reads the resource again besides watching it (a watch can miss an event on reconnect). */
    private static final long RECHECK_MILLIS = 1000;

    /** The resource once {@code done} holds for it ({@code null}: it does not exist). */
    <T extends HasMetadata> T until(Resource<T> resource, Predicate<T> done, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T now = resource.get();
            if (done.test(now)) {
                return now;
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new OperationPendingException(what + " is still pending on its node agent after "
                        + timeout.toSeconds() + " s; retry later (the request stays recorded)");
            }
            try {
                return resource.waitUntilCondition(done::test, Math.min(left, RECHECK_MILLIS), TimeUnit.MILLISECONDS);
            } catch (KubernetesClientTimeoutException e) {
                // read again, then watch again
            }
        }
    }

    /** True once the node agent has answered the resource's current spec (or it is gone or going). */
    static boolean settled(HasMetadata r, Long observedGeneration) {
        if (r == null || terminating(r)) {
            return true;
        }
        long generation =
                r.getMetadata().getGeneration() == null ? 1 : r.getMetadata().getGeneration();
        return observedGeneration != null && observedGeneration >= generation;
    }

    static boolean terminating(HasMetadata r) {
        return r.getMetadata().getDeletionTimestamp() != null;
    }
}
