package dev.vdisk.engine.alloc;

import dev.vdisk.engine.error.OutOfSpaceException;

/**
 * Free-space accounting and reservations of an {@link Allocator}: free segments, reserved ones, and the indirect
 * blocks in memory and catalog segments that set the metadata headroom. Not thread-safe: the {@link Allocator} calls
 * it under its lock.
 */
final class SpaceAccount {
    private long free;
    private long reserved;
    private long liveNodes;
    private long catalogSegments = 1;

    SpaceAccount(long free) {
        this.free = free;
    }

    long free() {
        return free;
    }

    /** Ends the open's count: {@code free} segments left, {@code nodes} indirect blocks found, nothing reserved. */
    void openCounted(long free, long nodes) {
        this.free = free;
        liveNodes = nodes;
        reserved = 0;
    }

    /** A free segment was taken outside {@link #allocated} (held at open, or claimed by replay). */
    void taken() {
        free--;
    }

    /** A pending segment became free again. */
    void released() {
        free++;
    }

    /** A segment was allocated; {@code fromReservation} consumes one reserved segment. */
    void allocated(boolean fromReservation) {
        free--;
        if (fromReservation) {
            reserved--;
        }
    }

    /** Space the next consistency point may need for indirect blocks and the catalog, kept out of reservations. */
    long metadataHeadroom() {
        return 2 * (liveNodes + catalogSegments) + 2;
    }

    /** Reserves {@code n} segments for data, or returns false (nothing changed). */
    boolean tryReserve(long n) {
        if (free - reserved - n < metadataHeadroom()) {
            return false;
        }
        reserved += n;
        return true;
    }

    void unreserve(long n) {
        reserved -= n;
        if (reserved < 0) {
            throw new IllegalStateException("reservations went negative");
        }
    }

    /** Accounts {@code created} new in-memory indirect blocks, {@code fromReservation} of them from a reservation. */
    void nodesCreated(long created, long fromReservation) {
        liveNodes += created;
        reserved -= fromReservation;
    }

    /** Accounts indirect blocks that left memory (tree deleted). */
    void nodesReleased(long n) {
        liveNodes -= n;
    }

    /** Checks room for {@code n} new indirect blocks created by a metadata operation (grow), and accounts them. */
    void addNodesOrThrow(long n, int segmentSize) {
        if (free - reserved - 2 * n < metadataHeadroom()) {
            throw new OutOfSpaceException("growing the map", (free - reserved) * segmentSize, 2 * n * segmentSize);
        }
        liveNodes += n;
    }

    void setCatalogSegments(long n) {
        catalogSegments = n;
    }

    /** Numbers for a data area of {@code total} segments of which {@code pending} wait for reuse. */
    Allocator.Usage usage(long total, long pending) {
        return new Allocator.Usage(
                total, total - free - pending, free, pending, reserved, liveNodes, metadataHeadroom());
    }
}
