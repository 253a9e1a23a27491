package dev.vdisk.engine.error;

/** Not enough free space in the pool for the request; carries the free and requested byte counts. */
public class OutOfSpaceException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final long freeBytes;
    private final long requestedBytes;

    public OutOfSpaceException(String what, long freeBytes, long requestedBytes) {
        super(what + ": pool out of space (free " + freeBytes + " bytes, requested " + requestedBytes
                + " bytes); delete or discard data, or grow the pool");
        this.freeBytes = freeBytes;
        this.requestedBytes = requestedBytes;
    }

    public long freeBytes() {
        return freeBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    @Override
    public Reason reason() {
        return Reason.OUT_OF_SPACE;
    }
}
