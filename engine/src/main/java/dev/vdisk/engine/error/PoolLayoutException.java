package dev.vdisk.engine.error;

/**
 * {@code pool.properties} names files outside its directory while the directory holds files of its own by the same
 * role: a copy of a pool directory whose {@code pool.properties} (format 1, absolute paths) still names the original's
 * files. Refused, so that the copy never opens the original's data or journal.
 */
public class PoolLayoutException extends EngineException {
    private static final long serialVersionUID = 1L;

    public PoolLayoutException(String message) {
        super(message);
    }

    @Override
    public Reason reason() {
        return Reason.FAILED_PRECONDITION;
    }
}
