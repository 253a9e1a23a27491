package dev.vdisk.engine.check;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.BadBlockException;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.ChangeIndexSegment;
import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.map.Node;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The consistency check: recomputes every segment's reference count from the catalog and all trees and compares it
 * with the allocator's; re-reads clean indirect blocks, catalog and change-index segments and verifies their CRCs. The caller holds
 * the pool's consistency-point lock, the destage lock and every vdisk's map lock (nothing changes meanwhile). Heap: 20
 * bytes per segment of the pool (the arrays below and the allocator's copied counts).
 */
public final class Checker {
    private final DataSpace data;
    private final Allocator alloc;
    private final int segmentSize;

    public Checker(DataSpace data, Allocator alloc, int segmentSize) {
        this.data = data;
        this.alloc = alloc;
        this.segmentSize = segmentSize;
    }

    /**
     * One tree to walk; trees of the same {@code family} (owner/backing chain) may share blocks. {@code changeIndex}:
     * the segments holding the entry's change index ({@code id} is their owner), which nothing shares.
     */
    public record Tree(String name, long family, MapTree tree, long id, List<ChangeIndexSegment.Ref> changeIndex) {}

    public CheckReport check(List<Tree> trees, long[] catalogVbns, Superblock sb) {
        List<CheckReport.Problem> problems = new ArrayList<>();
        if (alloc.segmentCount() > Integer.MAX_VALUE) {
            throw new InvalidRangeException("the check holds 20 bytes per segment in arrays: a pool of "
                    + alloc.segmentCount() + " segments (2^31 or more) cannot be checked");
        }
        int n = (int) alloc.segmentCount();
        int[] counts = new int[n];
        long[] family = new long[n]; // family + 1 of the first tree referencing the segment; -1 catalog
        int[] lastTree = new int[n];
        ByteBuffer buf = ByteBuffer.allocateDirect(segmentSize);

        // catalog chain
        byte[] payload = new byte[Math.max(0, sb.catalogLength())];
        int crc = sb.catalogCrc();
        int at = 0;
        for (long v : catalogVbns) {
            if (!alloc.isDataVbn(v)) {
                problems.add(
                        new CheckReport.Problem(CheckReport.Kind.DANGLING, v, "catalog segment outside the data area"));
                continue;
            }
            counts[(int) v]++;
            family[(int) v] = -1;
            data.readFully(buf.clear(), v * segmentSize);
            try {
                Catalog.Segment s = Catalog.decodeSegment(buf, v, crc, payload, at);
                at += s.length();
                crc = s.nextCrc();
            } catch (RuntimeException e) {
                problems.add(new CheckReport.Problem(CheckReport.Kind.BAD_CHECKSUM, v, e.getMessage()));
                break;
            }
        }

        for (Tree tree : trees) {
            for (ChangeIndexSegment.Ref r : tree.changeIndex()) {
                long v = r.vbn();
                if (!alloc.isDataVbn(v)) {
                    problems.add(new CheckReport.Problem(
                            CheckReport.Kind.DANGLING,
                            v,
                            "change index segment of " + tree.name() + " points outside the data area"));
                    continue;
                }
                if (counts[(int) v]++ != 0) {
                    problems.add(new CheckReport.Problem(
                            CheckReport.Kind.DOUBLY_OWNED,
                            v,
                            "change index segment of " + tree.name() + " is also a catalog or index segment"));
                }
                family[(int) v] = -1;
                data.readFully(buf.clear(), v * segmentSize);
                try {
                    ChangeIndexSegment.decode(buf, v, r, tree.id(), tree.name());
                } catch (RuntimeException e) {
                    problems.add(new CheckReport.Problem(CheckReport.Kind.BAD_CHECKSUM, v, e.getMessage()));
                }
            }
        }

        // clean blocks by VBN: the node cache may hand out a new copy of a shared block the second time
        Set<Long> visited = new HashSet<>();
        long[] nodes = {0};
        long[] dataSegs = {0};
        for (int t = 0; t < trees.size(); t++) {
            Tree tree = trees.get(t);
            int treeNo = t + 1;
            try {
                tree.tree().walk(new MapTree.Visitor() {
                    @Override
                    public boolean node(Node node, int level, long first, int expectedCrc) {
                        nodes[0]++;
                        long v = node.vbn();
                        if (v != 0) {
                            if (!reference(v, "indirect block (level " + level + ", segments from " + first + ")")) {
                                return false;
                            }
                            if (!node.dirty()) {
                                data.readFully(buf.clear(), v * segmentSize);
                                int actual = IndirectBlock.crc(buf);
                                if (actual != expectedCrc) {
                                    problems.add(new CheckReport.Problem(
                                            CheckReport.Kind.BAD_CHECKSUM,
                                            v,
                                            "indirect block of "
                                                    + tree.name() + " (level " + level + ", segments from " + first
                                                    + ") fails its checksum: expected "
                                                    + Integer.toHexString(expectedCrc)
                                                    + ", found " + Integer.toHexString(actual)));
                                }
                            }
                        }
                        return node.dirty() || visited.add(v);
                    }

                    @Override
                    public void data(long vbn, long segment, Node parent) {
                        dataSegs[0]++;
                        reference(vbn, "data of segment " + segment);
                    }

                    private boolean reference(long v, String what) {
                        if (!alloc.isDataVbn(v)) {
                            problems.add(new CheckReport.Problem(
                                    CheckReport.Kind.DANGLING,
                                    v,
                                    what + " of " + tree.name() + " points outside the data area"));
                            return false;
                        }
                        int i = (int) v;
                        counts[i]++;
                        if (lastTree[i] == treeNo) {
                            problems.add(new CheckReport.Problem(
                                    CheckReport.Kind.DOUBLY_OWNED,
                                    v,
                                    what + " of " + tree.name() + " is referenced twice within that vdisk"));
                        } else if (family[i] != 0 && family[i] != tree.family() + 1) {
                            problems.add(new CheckReport.Problem(
                                    CheckReport.Kind.DOUBLY_OWNED,
                                    v,
                                    what + " of "
                                            + tree.name() + " is also referenced by an unrelated "
                                            + (family[i] == -1 ? "catalog" : "vdisk")));
                        }
                        lastTree[i] = treeNo;
                        if (family[i] == 0) {
                            family[i] = tree.family() + 1;
                        }
                        return true;
                    }
                });
            } catch (BadBlockException e) {
                // a block below a clean parent failed its checksum as the walk loaded it: its subtree is not counted
                problems.add(new CheckReport.Problem(CheckReport.Kind.BAD_CHECKSUM, e.vbn(), e.getMessage()));
            }
        }

        int[] counted = alloc.snapshotCounts();
        for (long v = alloc.firstDataVbn(); v < n; v++) {
            int c = counts[(int) v];
            int a = counted[(int) v];
            if (c > a) {
                problems.add(new CheckReport.Problem(
                        CheckReport.Kind.DOUBLY_OWNED,
                        v,
                        "referenced " + c + " times but the allocator counts " + a
                                + " (it could be reused while in use)"));
            } else if (a > c) {
                problems.add(new CheckReport.Problem(
                        CheckReport.Kind.LEAKED,
                        v,
                        "the allocator counts " + a + " references but only " + c + " exist"));
            }
        }
        return new CheckReport(problems, trees.size(), nodes[0], dataSegs[0]);
    }
}
