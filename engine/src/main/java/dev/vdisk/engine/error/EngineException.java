package dev.vdisk.engine.error;

/**
 * Base of every exception the engine throws on purpose. Each message says what happened and what to do;
 * {@link #reason()} is a stable classification for mapping to protocol status codes.
 */
public abstract class EngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected EngineException(String message) {
        super(message);
    }

    protected EngineException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Stable classification of this error. */
    public abstract Reason reason();
}
