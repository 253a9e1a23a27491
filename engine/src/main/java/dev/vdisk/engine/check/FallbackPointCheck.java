package dev.vdisk.engine.check;

import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.ChangeIndexSegment;
import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;

/**
 * Checks the previous consistency point, the one the other superblock slot holds: its catalog chain and every indirect
 * block it reaches must still match their CRCs. The engine reuses a freed segment only after two more points are
 * durable, so both slots always describe intact trees (the fallback when the newest slot is torn); a block of the
 * previous point that no longer matches was overwritten by a writer that did not know it was in use, such as a second
 * opener of the pool's files, whose own points wrote metadata and data over segments this pool still used. Data
 * segments carry no checksum and are not checked. Reads only; streams the trees (one bit per segment, no nodes kept).
 */
public final class FallbackPointCheck {
    private final DataSpace data;
    private final long firstDataVbn;
    private final long segmentCount;
    private final int segmentSize;

    public FallbackPointCheck(DataSpace data, long firstDataVbn, long segmentCount, int segmentSize) {
        this.data = data;
        this.firstDataVbn = firstDataVbn;
        this.segmentCount = segmentCount;
        this.segmentSize = segmentSize;
    }

    /**
     * Adds to {@code problems} what is wrong with the slot other than {@code current}'s; nothing when that slot holds no
     * valid superblock of the same pool with the previous generation (never written yet, or torn).
     */
    public void check(Superblock current, List<CheckReport.Problem> problems) {
        ByteBuffer slot = ByteBuffer.allocateDirect(Superblock.SLOT_SIZE);
        data.readFully(slot, (long) (1 - current.slot()) * Superblock.SLOT_SIZE);
        Superblock prev;
        try {
            prev = Superblock.decode(slot.flip());
        } catch (RuntimeException e) {
            return; // another format version: not this pool's previous point
        }
        if (prev == null || !prev.uuid().equals(current.uuid()) || prev.generation() != current.generation() - 1) {
            return;
        }
        String point = "previous consistency point (generation " + prev.generation() + ", the fallback slot)";
        ByteBuffer buf = ByteBuffer.allocateDirect(segmentSize);
        byte[] payload = new byte[Math.max(0, prev.catalogLength())];
        long vbn = prev.catalogVbn();
        int crc = prev.catalogCrc();
        int at = 0;
        BitSet seen = new BitSet();
        while (vbn != 0) {
            if (!isData(vbn) || seen.get((int) vbn)) {
                problems.add(new CheckReport.Problem(
                        CheckReport.Kind.DANGLING,
                        vbn,
                        "catalog segment of the " + point + " is outside the data area or loops"));
                return;
            }
            seen.set((int) vbn);
            data.readFully(buf.clear(), vbn * segmentSize);
            try {
                Catalog.Segment s = Catalog.decodeSegment(buf, vbn, crc, payload, at);
                at += s.length();
                vbn = s.nextVbn();
                crc = s.nextCrc();
            } catch (RuntimeException e) {
                problems.add(new CheckReport.Problem(
                        CheckReport.Kind.BAD_CHECKSUM,
                        vbn,
                        "catalog segment of the " + point + " was overwritten: " + e.getMessage()));
                return;
            }
        }
        List<CatalogEntry> entries;
        try {
            entries = Catalog.decodePayload(payload);
        } catch (RuntimeException e) {
            problems.add(new CheckReport.Problem(
                    CheckReport.Kind.BAD_CHECKSUM,
                    prev.catalogVbn(),
                    "catalog of the " + point + " does not decode: " + e.getMessage()));
            return;
        }
        seen.clear();
        long[] words = new long[2 * IndirectBlock.fanout(segmentSize)];
        for (CatalogEntry e : entries) {
            changeIndex(e, point, buf, problems);
            if (MapEntry.isMapped(e.rootWord0())) {
                walk(
                        MapEntry.vbn(e.rootWord0()),
                        MapEntry.crc(e.rootWord1()),
                        e.height(),
                        e.name() + " of the " + point,
                        seen,
                        buf,
                        words,
                        problems);
            }
        }
    }

    /** The entry's change-index segments must still match the CRCs the previous catalog holds. */
    private void changeIndex(CatalogEntry e, String point, ByteBuffer buf, List<CheckReport.Problem> problems) {
        List<ChangeIndexSegment.Ref> refs;
        try {
            refs = ChangeIndexSegment.decodeRefs(e.extensions().get(ChangeIndexSegment.REFS_TAG), e.name());
        } catch (RuntimeException x) {
            problems.add(new CheckReport.Problem(CheckReport.Kind.BAD_CHECKSUM, 0, x.getMessage()));
            return;
        }
        for (ChangeIndexSegment.Ref r : refs) {
            if (!isData(r.vbn())) {
                problems.add(new CheckReport.Problem(
                        CheckReport.Kind.DANGLING,
                        r.vbn(),
                        "change index segment of " + e.name() + " of the " + point + " is outside the data area"));
                continue;
            }
            data.readFully(buf.clear(), r.vbn() * segmentSize);
            try {
                ChangeIndexSegment.decode(buf, r.vbn(), r, e.id(), e.name() + " of the " + point);
            } catch (RuntimeException x) {
                problems.add(new CheckReport.Problem(
                        CheckReport.Kind.BAD_CHECKSUM, r.vbn(), "was overwritten: " + x.getMessage()));
            }
        }
    }

    private void walk(
            long vbn,
            int crc,
            int level,
            String owner,
            BitSet seen,
            ByteBuffer buf,
            long[] words,
            List<CheckReport.Problem> problems) {
        if (!isData(vbn)) {
            problems.add(new CheckReport.Problem(
                    CheckReport.Kind.DANGLING,
                    vbn,
                    "indirect block (level " + level + ") of " + owner + " points outside the data area"));
            return;
        }
        if (seen.get((int) vbn)) {
            return; // shared with a snapshot or clone: checked once
        }
        seen.set((int) vbn);
        data.readFully(buf.clear(), vbn * segmentSize);
        int actual = IndirectBlock.crc(buf);
        if (actual != crc) {
            problems.add(new CheckReport.Problem(
                    CheckReport.Kind.BAD_CHECKSUM,
                    vbn,
                    "indirect block (level " + level
                            + ") of " + owner + " was overwritten: expected CRC " + Integer.toHexString(crc)
                            + ", found "
                            + Integer.toHexString(actual)));
            return;
        }
        if (level == 1) {
            return;
        }
        IndirectBlock.decode(buf, words);
        long[] children = words.clone(); // the buffer and words are reused below
        for (int i = 0; i < children.length / 2; i++) {
            if (MapEntry.isMapped(children[2 * i])) {
                walk(
                        MapEntry.vbn(children[2 * i]),
                        MapEntry.crc(children[2 * i + 1]),
                        level - 1,
                        owner,
                        seen,
                        buf,
                        words,
                        problems);
            }
        }
    }

    private boolean isData(long vbn) {
        return vbn >= firstDataVbn && vbn < segmentCount;
    }
}
