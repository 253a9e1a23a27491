package dev.vdisk.engine.error;

/** The pool's on-disk format version is one this code does not support. */
public class UnsupportedFormatException extends EngineException {
    private static final long serialVersionUID = 1L;

    public UnsupportedFormatException(String structure, int actual, int minSupported, int maxSupported) {
        super(structure + " has format version " + actual + ", this build supports " + minSupported + ".."
                + maxSupported
                + (actual > maxSupported
                        ? "; upgrade vdisk to open this pool"
                        : "; it was written by a development build before " + minSupported
                                + " and cannot be migrated: open it with that build, copy the data out, and create a"
                                + " new pool"));
    }

    @Override
    public Reason reason() {
        return Reason.UNSUPPORTED;
    }
}
