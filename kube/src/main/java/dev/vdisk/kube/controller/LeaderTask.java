package dev.vdisk.kube.controller;

/**
 * Background work only the elected controller replica does (the split-request controller, ...): started when this
 * replica becomes leader, closed when it stops being leader or shuts down. CSI calls are not leader tasks: the
 * sidecars elect their own leader and call whichever replica they run next to.
 */
@FunctionalInterface
public interface LeaderTask {

    /** Starts the work and returns what stops it. */
    AutoCloseable start() throws Exception;
}
