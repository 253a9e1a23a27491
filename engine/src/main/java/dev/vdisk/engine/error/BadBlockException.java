package dev.vdisk.engine.error;

/** An indirect block read from disk failed its checksum; {@link #vbn()} says which segment holds it. */
public final class BadBlockException extends CorruptMetadataException {
    private static final long serialVersionUID = 1L;

    private final long vbn;

    public BadBlockException(long vbn, String message) {
        super(message);
        this.vbn = vbn;
    }

    public long vbn() {
        return vbn;
    }
}
