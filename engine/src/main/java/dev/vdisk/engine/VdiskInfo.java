package dev.vdisk.engine;

/**
 * What {@link Vdisks#list()} reports about a vdisk.
 *
 * @param allocatedBytes bytes of data segments its map points at (after destaging)
 */
public record VdiskInfo(long id, String name, long sizeBytes, long allocatedBytes, long createdMillis) {}
