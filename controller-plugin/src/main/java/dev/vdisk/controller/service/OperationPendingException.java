package dev.vdisk.controller.service;

/** Another operation on the same volume is still running after the lock wait (spec, general errors: "Operation pending for volume", ABORTED). */
public final class OperationPendingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OperationPendingException(String message) {
        super(message);
    }
}
