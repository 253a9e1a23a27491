package dev.vdisk.controller.service;

/** The capacity range cannot be honoured (spec: "Unsupported capacity_range", OUT_OF_RANGE): required above the limit after rounding, or a size no pool can ever hold. */
public final class CapacityOutOfRangeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CapacityOutOfRangeException(String message) {
        super(message);
    }
}
