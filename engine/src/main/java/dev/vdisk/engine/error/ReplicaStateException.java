package dev.vdisk.engine.error;

/**
 * A replica cannot take the requested import in its current state (another import is pending, an extent arrives out
 * of order, the source shrank).
 */
public class ReplicaStateException extends EngineException {
    private static final long serialVersionUID = 1L;

    public ReplicaStateException(String message) {
        super(message);
    }

    @Override
    public Reason reason() {
        return Reason.FAILED_PRECONDITION;
    }
}
