package dev.vdisk.engine.error;

/** A vdisk (or a pool) of that name already exists. */
public class VdiskExistsException extends EngineException {
    private static final long serialVersionUID = 1L;

    public VdiskExistsException(String message) {
        super(message);
    }

    public VdiskExistsException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Reason reason() {
        return Reason.ALREADY_EXISTS;
    }
}
