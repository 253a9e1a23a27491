package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.check.Checker;
import dev.vdisk.engine.check.FallbackPointCheck;
import dev.vdisk.engine.format.Kind;
import dev.vdisk.engine.io.DataSpace;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs the consistency check ({@link Checker}, then {@link FallbackPointCheck}) on an open pool held still: under
 * {@code Pool.cpLock}, {@code Pool.destageLock} and every map's read lock (taken in id order), so no point, destage
 * or write changes what it walks.
 */
final class PoolCheck {
    private final DataSpace data;
    private final Allocator alloc;
    private final int segmentSize;
    private final ReentrantLock cpLock;
    private final ReentrantLock destageLock;
    private final PointerHolds holds;
    private final VdiskCatalog catalog;
    private final ConsistencyPoints points;

    PoolCheck(
            DataSpace data,
            Allocator alloc,
            int segmentSize,
            ReentrantLock cpLock,
            ReentrantLock destageLock,
            VdiskCatalog catalog,
            ConsistencyPoints points,
            PointerHolds holds) {
        this.holds = holds;
        this.data = data;
        this.alloc = alloc;
        this.segmentSize = segmentSize;
        this.cpLock = cpLock;
        this.destageLock = destageLock;
        this.catalog = catalog;
        this.points = points;
    }

    /** Checks the pool; {@code checkOpen} runs under cpLock first. */
    CheckReport run(Runnable checkOpen) {
        cpLock.lock();
        try {
            checkOpen.run();
            holds.quiet().lock(); // released with destageLock below
            destageLock.lock();
            List<Vdisk> vs = new ArrayList<>(catalog.all());
            vs.sort(Comparator.comparingLong(Vdisk::id));
            for (Vdisk v : vs) {
                v.map().lock().readLock().lock();
            }
            try {
                List<Checker.Tree> trees = new ArrayList<>();
                for (Vdisk v : vs) {
                    String what =
                            v.kind() == Kind.SNAPSHOT ? (v.hidden() ? "hidden snapshot " : "snapshot ") : "vdisk ";
                    trees.add(new Checker.Tree(
                            what + v.name(),
                            SnapshotChain.family(v),
                            v.map().tree(),
                            v.id(),
                            v.changeIndex().refs()));
                }
                CheckReport r =
                        new Checker(data, alloc, segmentSize).check(trees, points.catalogVbns(), points.superblock());
                List<CheckReport.Problem> problems = new ArrayList<>(r.problems());
                new FallbackPointCheck(data, alloc.firstDataVbn(), alloc.segmentCount(), segmentSize)
                        .check(points.superblock(), problems);
                return new CheckReport(problems, r.trees(), r.indirectBlocks(), r.dataSegments());
            } finally {
                for (Vdisk v : vs) {
                    v.map().lock().readLock().unlock();
                }
                destageLock.unlock();
                holds.quiet().unlock();
            }
        } finally {
            cpLock.unlock();
        }
    }
}
