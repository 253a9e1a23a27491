package dev.vdisk.engine.format;

/** What a catalog entry is. Stored as one byte; codes are stable. */
public enum Kind {
    /** A writable vdisk (possibly a clone, when its backing id is not 0). */
    VDISK(1),
    /** A read-only snapshot owned by a vdisk. */
    SNAPSHOT(2);

    public final int code;

    Kind(int code) {
        this.code = code;
    }

    public static Kind of(int code) {
        for (Kind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
