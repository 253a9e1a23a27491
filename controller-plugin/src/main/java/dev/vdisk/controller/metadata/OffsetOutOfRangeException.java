package dev.vdisk.controller.metadata;

/** Spec, GetMetadataAllocated/GetMetadataDelta errors: "Invalid starting_offset" (it exceeds the volume size) -> OUT_OF_RANGE. */
public final class OffsetOutOfRangeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OffsetOutOfRangeException(String message) {
        super(message);
    }
}
