package dev.vdisk.kube.resource;

/** Where a volume, snapshot or group snapshot resource is: asked for, present in the pool, or refused. */
public enum ResourcePhase {
    /** The controller asked; the node agent has not acted yet (or is acting). */
    Pending,
    /** The pool has it as the spec says (for the generation in {@code observedGeneration}). */
    Ready,
    /** The node agent refused the spec; {@code failure} says why. Changing the spec retries. */
    Failed
}
