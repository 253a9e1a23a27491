package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentLineage;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.engine.Extent;
import dev.vdisk.engine.ExtentScan;
import dev.vdisk.engine.Lineage;
import dev.vdisk.engine.Pool;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * What the engine's lineage and extent scans say of volumes and snapshots, in the agent API's terms. Reads only;
 * they take no volume lock (the engine answers these calls under its own).
 */
final class LineageQueries {
    private final Pool pool;

    LineageQueries(Pool pool) {
        this.pool = pool;
    }

    Iterator<BlockExtent> allocated(String snapshotId, long startOffset) {
        return EngineFailures.translating(() -> extents(pool.extents().allocated(snapshotId, startOffset)));
    }

    Iterator<BlockExtent> delta(String baseSnapshotId, String targetSnapshotId, long startOffset) {
        return EngineFailures.translating(
                () -> extents(pool.extents().delta(baseSnapshotId, targetSnapshotId, startOffset)));
    }

    /** The engine's lineage depth of the visible volume or snapshot of that name (hidden snapshots have no ID). */
    int chainDepth(String id) {
        return EngineFailures.translating(() -> pool.lineage().all()).stream()
                .filter(l -> !l.hidden() && l.name().equals(id))
                .findFirst()
                .map(Lineage::depth)
                .orElseThrow(() -> new AgentException(AgentReason.NOT_FOUND, "no volume or snapshot " + id));
    }

    /** One pass over the engine's lineage: the entry itself, its backing snapshot and what reads through it. */
    Optional<AgentLineage> lineage(String id) {
        List<Lineage> all = EngineFailures.translating(() -> pool.lineage().all());
        Optional<Lineage> self =
                all.stream().filter(l -> !l.hidden() && l.name().equals(id)).findFirst();
        return self.map(l -> {
            Optional<Lineage> backing =
                    all.stream().filter(b -> b.id() == l.backingId()).findFirst();
            List<String> dependents = all.stream()
                    .filter(d -> l.snapshot() && d.backingId() == l.id())
                    .map(d -> d.hidden() ? d.name() + " (hidden)" : d.name())
                    .toList();
            return new AgentLineage(
                    id,
                    l.snapshot(),
                    backing.map(Lineage::name).orElse(""),
                    backing.map(Lineage::hidden).orElse(false),
                    l.depth(),
                    l.ownBytes(),
                    l.sharedBytes(),
                    dependents);
        });
    }

    private static Iterator<BlockExtent> extents(ExtentScan scan) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return EngineFailures.translating(scan::hasNext);
            }

            @Override
            public BlockExtent next() {
                Extent e = EngineFailures.translating(scan::next);
                return new BlockExtent(
                        e.offset(),
                        e.length(),
                        switch (e.kind()) {
                            case ALLOCATED -> BlockExtent.Kind.ALLOCATED;
                            case CHANGED -> BlockExtent.Kind.CHANGED;
                            case DEALLOCATED -> BlockExtent.Kind.DEALLOCATED;
                        });
            }
        };
    }
}
