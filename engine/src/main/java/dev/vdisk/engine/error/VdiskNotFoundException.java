package dev.vdisk.engine.error;

/** No vdisk of that name or id exists in the pool (or it was deleted while a handle was open). */
public class VdiskNotFoundException extends EngineException {
    private static final long serialVersionUID = 1L;

    public VdiskNotFoundException(String message) {
        super(message);
    }

    public VdiskNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Reason reason() {
        return Reason.NOT_FOUND;
    }
}
