package dev.vdisk.engine.error;

/** Resize to a smaller size was requested; vdisks only grow. */
public class ShrinkNotSupportedException extends EngineException {
    private static final long serialVersionUID = 1L;

    public ShrinkNotSupportedException(String message) {
        super(message);
    }

    public ShrinkNotSupportedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Reason reason() {
        return Reason.FAILED_PRECONDITION;
    }
}
