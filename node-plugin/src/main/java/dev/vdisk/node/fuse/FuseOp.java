package dev.vdisk.node.fuse;

import java.util.Locale;

/**
 * The data-path requests a {@link FuseRequestObserver} hears about: the ones that reach the backend, plus FLUSH
 * (every close of the image). Other opcodes (LOOKUP, GETATTR, ...) are control traffic and are not counted.
 */
public enum FuseOp {
    READ,
    WRITE,
    FLUSH,
    FSYNC,
    FALLOCATE;

    /** Lower-case name, as a metric label value. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
