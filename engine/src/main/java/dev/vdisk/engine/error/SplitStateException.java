package dev.vdisk.engine.error;

/** A split request that the clone's state does not allow (a different mode is already recorded for it). */
public class SplitStateException extends EngineException {
    private static final long serialVersionUID = 1L;

    public SplitStateException(String message) {
        super(message);
    }

    @Override
    public Reason reason() {
        return Reason.FAILED_PRECONDITION;
    }
}
