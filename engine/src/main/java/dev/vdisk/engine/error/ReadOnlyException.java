package dev.vdisk.engine.error;

/** A write, discard or resize of a snapshot: snapshots are read-only (clone one to get a writable vdisk). */
public class ReadOnlyException extends EngineException {
    private static final long serialVersionUID = 1L;

    public ReadOnlyException(String message) {
        super(message);
    }

    @Override
    public Reason reason() {
        return Reason.FAILED_PRECONDITION;
    }
}
