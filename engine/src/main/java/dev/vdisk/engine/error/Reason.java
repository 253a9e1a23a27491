package dev.vdisk.engine.error;

/**
 * Stable classification of every {@link EngineException}, so that the CSI layer maps engine errors to status codes
 * in one place without knowing each exception class.
 */
public enum Reason {
    /** The named vdisk (or pool) does not exist. */
    NOT_FOUND,
    /** Something with that name already exists. */
    ALREADY_EXISTS,
    /** Not enough free space for the request. */
    OUT_OF_SPACE,
    /** The caller passed a bad argument (range, size, name). */
    INVALID_ARGUMENT,
    /** The request is valid but the current state does not allow it (shrink, locked pool, closed pool). */
    FAILED_PRECONDITION,
    /** On-disk metadata is damaged. */
    CORRUPT,
    /** The on-disk format is newer than this code understands. */
    UNSUPPORTED,
    /** An I/O error from the underlying file or device. */
    IO_ERROR
}
