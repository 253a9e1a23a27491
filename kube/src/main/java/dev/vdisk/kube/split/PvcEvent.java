package dev.vdisk.kube.split;

/**
 * One Event to record on a PVC.
 *
 * @param warning true for type Warning (failed, rejected), false for Normal
 * @param reason  SplitStarted, SplitProgress, SplitCompleted, SplitFailed or SplitCancelled
 * @param message for people: what, how far, why
 */
record PvcEvent(boolean warning, String reason, String message) {
}
