package dev.vdisk.engine.error;

/** An extent of a replication stream whose CRC32C does not match its bytes: damaged in transit, never applied. */
public class ReplicaChecksumException extends EngineException {
    private static final long serialVersionUID = 1L;

    public ReplicaChecksumException(String message) {
        super(message);
    }

    @Override
    public Reason reason() {
        return Reason.IO_ERROR;
    }
}
