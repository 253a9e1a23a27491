package dev.vdisk.engine.error;

/** On-disk metadata failed a checksum or consistency test; the message names the structure and its location. */
public class CorruptMetadataException extends EngineException {
    private static final long serialVersionUID = 1L;

    public CorruptMetadataException(String message) {
        super(message);
    }

    public CorruptMetadataException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Reason reason() {
        return Reason.CORRUPT;
    }
}
