package dev.vdisk.engine.error;

/** Another process (or another Pool in this process) holds the pool's exclusive lock. */
public class PoolLockedException extends EngineException {
    private static final long serialVersionUID = 1L;

    public PoolLockedException(String message) {
        super(message);
    }

    public PoolLockedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Reason reason() {
        return Reason.FAILED_PRECONDITION;
    }
}
