package dev.vdisk.engine.error;

/** An I/O error from the pool's data file, device or journal. */
public class EngineIOException extends EngineException {
    private static final long serialVersionUID = 1L;

    public EngineIOException(String message) {
        super(message);
    }

    public EngineIOException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Reason reason() {
        return Reason.IO_ERROR;
    }
}
