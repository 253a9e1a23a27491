package dev.vdisk.engine.error;

/** The pool (and so every vdisk handle of it) was closed. */
public class PoolClosedException extends EngineException {
    private static final long serialVersionUID = 1L;

    public PoolClosedException(String message) {
        super(message);
    }

    public PoolClosedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Reason reason() {
        return Reason.FAILED_PRECONDITION;
    }
}
