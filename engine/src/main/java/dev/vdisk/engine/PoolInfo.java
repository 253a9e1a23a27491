package dev.vdisk.engine;

import java.nio.file.Path;
import java.util.UUID;

/**
 * What {@link Pool#info()} reports.
 *
 * @param availableBytes what writes can still claim (free minus reservations minus metadata headroom)
 * @param pendingBytes freed but reusable only after the next two consistency points
 */
public record PoolInfo(
        Path dir,
        Path dataPath,
        Path journalDir,
        UUID uuid,
        int formatVersion,
        int segmentSize,
        long sizeBytes,
        long usedBytes,
        long freeBytes,
        long availableBytes,
        long pendingBytes,
        long reservedBytes,
        long generation,
        int vdisks,
        long journalBytes,
        long dirtyBytes) {}
