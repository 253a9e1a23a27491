package dev.vdisk.kube.node;

import java.time.Duration;

/**
 * What one reconcile ended with.
 *
 * @param status the status the object now has (as written, or unchanged), null when the object is gone
 * @param again  when to look again without a change (a running split, a wait), null for "on the next change"
 * @param gone   the pool no longer has it and the finalizer is removed
 */
record Outcome<S>(S status, Duration again, boolean gone) {

    static <S> Outcome<S> done(S status) {
        return new Outcome<>(status, null, false);
    }

    static <S> Outcome<S> again(S status, Duration after) {
        return new Outcome<>(status, after, false);
    }

    static <S> Outcome<S> removed() {
        return new Outcome<>(null, null, true);
    }
}
