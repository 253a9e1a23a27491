package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.ChangeIndexSegment;
import dev.vdisk.engine.format.Kind;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.map.NodeCache;
import dev.vdisk.engine.map.ReferenceScan;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a pool's catalog and walks every map at open: follows the catalog's segment chain from the superblock
 * (checking each segment's CRC), walks each entry's tree (checking every indirect block, {@link ReferenceScan}) and
 * loads its change index (from its segments, or inline in a format-2 catalog), checks that every backing snapshot is
 * in the catalog, and rebuilds the allocator's reference counts from what it found. The trees it returns load their
 * blocks on use.
 */
final class CatalogLoader {
    /** A catalog entry, its map, its change set and the segments holding it. */
    record Loaded(CatalogEntry entry, MapTree tree, ChangeSet changes, List<ChangeIndexSegment.Ref> changeRefs) {}

    /** What the load found: the catalog's segments, the entries with their maps, the indirect blocks counted. */
    record Result(long[] catalogVbns, List<Loaded> entries, long indirectBlocks) {}

    private CatalogLoader() {}

    static Result load(Allocator alloc, NodeCache cache, Superblock superblock) {
        DataSpace data = cache.data();
        int segmentSize = superblock.segmentSize();
        alloc.resetForOpen();
        ByteBuffer buf = ByteBuffer.allocateDirect(segmentSize);
        // grown as verified segments arrive: the length (bounded at open) is not allocated on the superblock's word
        byte[] payload = new byte[Math.min(superblock.catalogLength(), 1 << 20)];
        List<Long> vbns = new ArrayList<>();
        long vbn = superblock.catalogVbn();
        int crc = superblock.catalogCrc();
        int at = 0;
        while (vbn != 0) {
            if (!alloc.isDataVbn(vbn) || vbns.contains(vbn)) {
                throw new CorruptMetadataException(
                        "catalog segment pointer " + vbn + " is dangling or loops; run vdisk check");
            }
            if (payload.length < superblock.catalogLength()
                    && payload.length - at < Catalog.payloadPerSegment(segmentSize)) {
                payload = Arrays.copyOf(payload, (int) Math.min(
                        superblock.catalogLength(),
                        Math.max(2L * payload.length, at + (long) Catalog.payloadPerSegment(segmentSize))));
            }
            data.readFully(buf.clear(), vbn * segmentSize);
            Catalog.Segment s = Catalog.decodeSegment(buf, vbn, crc, payload, at);
            at += s.length();
            alloc.countAtOpen(vbn);
            vbns.add(vbn);
            vbn = s.nextVbn();
            crc = s.nextCrc();
        }
        if (at != superblock.catalogLength()) {
            throw new CorruptMetadataException("catalog holds " + at + " bytes where the superblock says "
                    + superblock.catalogLength() + "; run vdisk check");
        }
        long[] catalogVbns = vbns.stream().mapToLong(Long::longValue).toArray();
        ReferenceScan scan = new ReferenceScan(cache, alloc);
        Map<Long, CatalogEntry> byId = new HashMap<>();
        List<Loaded> out = new ArrayList<>();
        long indexSegments = 0;
        for (CatalogEntry e : Catalog.decodePayload(payload)) {
            MetadataBounds.entry(e, segmentSize);
            scan.scan("vdisk " + e.name(), e.rootWord0(), e.rootWord1(), e.height());
            MapTree t = MapTree.open(cache, e.rootWord0(), e.rootWord1(), e.height());
            List<ChangeIndexSegment.Ref> refs =
                    ChangeIndexSegment.decodeRefs(e.extensions().get(ChangeIndexSegment.REFS_TAG), e.name());
            ChangeSet changes = refs.isEmpty() ? ChangeSet.decodeInline(e) : new ChangeSet();
            for (ChangeIndexSegment.Ref r : refs) {
                if (!alloc.isDataVbn(r.vbn()) || alloc.countAtOpen(r.vbn()) != 0) {
                    throw new CorruptMetadataException("change index segment pointer " + r.vbn() + " of " + e.name()
                            + " is dangling or shared; run vdisk check");
                }
                data.readFully(buf.clear(), r.vbn() * segmentSize);
                changes.loadPages(ChangeIndexSegment.decode(buf, r.vbn(), r, e.id(), e.name()));
            }
            indexSegments += refs.size();
            out.add(new Loaded(e, t, changes, refs));
            byId.put(e.id(), e);
        }
        for (CatalogEntry e : byId.values()) {
            if (e.backingId() != 0) {
                CatalogEntry b = byId.get(e.backingId());
                if (b == null || b.kind() != Kind.SNAPSHOT) {
                    throw new CorruptMetadataException("vdisk " + e.name() + " (id " + e.id() + ", " + e.size()
                            + " bytes) reads through backing snapshot id " + e.backingId()
                            + " which is not in the catalog; run vdisk check");
                }
            }
        }
        alloc.openCounted(scan.nodes());
        alloc.setCatalogSegments(catalogVbns.length + indexSegments);
        return new Result(catalogVbns, out, scan.nodes());
    }

    /** Makes the loaded entries into vdisks of {@code catalog} and links each clone to its backing snapshot. */
    static void makeVdisks(List<Loaded> loaded, VdiskServices services, VdiskCatalog catalog) {
        for (Loaded l : loaded) {
            Vdisk v = new Vdisk(services, l.entry(), l.tree(), l.changes(), l.changeRefs());
            catalog.add(v);
            catalog.name(v);
        }
        for (Vdisk v : catalog.all()) {
            if (v.backingId() != 0) {
                v.linkBacking(catalog.byId(v.backingId())); // load checked that it is a snapshot in the catalog
            }
        }
    }
}
