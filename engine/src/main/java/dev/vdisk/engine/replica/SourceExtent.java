package dev.vdisk.engine.replica;

/**
 * One extent a replica must take from a source snapshot: {@code length} bytes at {@code offset}, either to be read
 * from the snapshot ({@code zero} false) or reading zeros there ({@code zero} true: in use in the delta's base only).
 */
public record SourceExtent(long offset, long length, boolean zero) {
    public long end() {
        return offset + length;
    }
}
