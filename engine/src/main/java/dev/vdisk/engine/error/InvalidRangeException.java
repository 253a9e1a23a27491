package dev.vdisk.engine.error;

/** An offset, length or size outside what the vdisk or the engine allows, or a malformed argument. */
public class InvalidRangeException extends EngineException {
    private static final long serialVersionUID = 1L;

    public InvalidRangeException(String message) {
        super(message);
    }

    public InvalidRangeException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Reason reason() {
        return Reason.INVALID_ARGUMENT;
    }
}
