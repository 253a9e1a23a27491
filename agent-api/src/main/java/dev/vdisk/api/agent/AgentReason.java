package dev.vdisk.api.agent;

/**
 * Why the agent refused or failed a call: the stable classification of every {@link AgentException}, so that the
 * CSI layer maps failures to status codes in one place. The names are also stored in resources' failure fields (the
 * cluster mode), so a constant is never renamed.
 */
public enum AgentReason {
    /** The named volume or snapshot (or the pool) does not exist. */
    NOT_FOUND,
    /** Something with that ID already exists, differently. */
    ALREADY_EXISTS,
    /** Not enough free space in the pool for the request. */
    OUT_OF_SPACE,
    /** The caller passed a bad argument (size, range, name, mode). */
    INVALID_ARGUMENT,
    /** The request is valid but the current state does not allow it (staged volume, shrink, locked or closed pool). */
    FAILED_PRECONDITION,
    /** The pool's on-disk metadata is damaged. */
    CORRUPT,
    /** The pool's on-disk format is newer than this agent understands. */
    UNSUPPORTED,
    /** The file or device under the pool failed. */
    IO_ERROR
}
