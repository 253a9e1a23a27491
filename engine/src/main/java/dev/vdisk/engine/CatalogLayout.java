package dev.vdisk.engine;

import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.Kind;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * How a consistency point lays out the catalog so that it rewrites only what changed: vdisks (whose root changes at
 * every point that wrote to them) first, snapshots (which change only with metadata operations) after, each by id.
 * The catalog is a chain written from its tail, each segment carrying the CRC of the next one, and cut from its end
 * (only the first segment is partial), so a tail whose bytes did not change keeps its segments and only the head
 * before it is written: with 1000 snapshots a point writes the vdisks' segment, not the whole catalog. Readers do not
 * depend on the order or on where segments are cut.
 */
final class CatalogLayout {
    private CatalogLayout() {}

    /** Vdisks by id, then snapshots by id. */
    static List<CatalogEntry> order(List<CatalogEntry> entries) {
        return entries.stream()
                .sorted(Comparator.comparing((CatalogEntry e) -> e.kind() != Kind.VDISK)
                        .thenComparingLong(CatalogEntry::id))
                .toList();
    }

    /**
     * Where segment {@code i} of a catalog of {@code length} bytes in {@code k} segments starts: the chain is cut from
     * its end (every segment but the first is full), so a head that grows or shrinks leaves the tail's bytes where they
     * were.
     */
    static int start(int i, int length, int k, int segmentSize) {
        int per = Catalog.payloadPerSegment(segmentSize);
        return i == 0 ? 0 : length - (k - i) * per;
    }

    /**
     * How many trailing segments of {@code payload} hold the same bytes as the same trailing segments of the durable
     * catalog {@code last} (written in {@code lastSegments} segments): all when nothing changed, else at most the
     * full segments both have after their heads; 0 when the previous payload is unknown.
     */
    static int unchangedTail(byte[] last, byte[] payload, int segmentSize, int lastSegments) {
        int k = Catalog.segmentsFor(payload.length, segmentSize);
        if (last == null) {
            return 0;
        }
        if (Arrays.equals(last, payload) && lastSegments == k) {
            return k;
        }
        int per = Catalog.payloadPerSegment(segmentSize);
        int keep = 0;
        while (keep + 1 < k && keep + 1 < lastSegments) {
            int to = payload.length - keep * per;
            int lastTo = last.length - keep * per;
            if (!Arrays.equals(last, lastTo - per, lastTo, payload, to - per, to)) {
                break;
            }
            keep++;
        }
        return keep;
    }
}
