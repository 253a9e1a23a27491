package dev.vdisk.controller.metadata;

import csi.v1.BlockMetadata;
import dev.vdisk.api.agent.BlockExtent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The extents of an agent stream as CSI {@link BlockMetadata} lists of at most {@code maxResults} tuples:
 * VARIABLE_LENGTH, ascending, non-overlapping, and adjacent extents merged whatever their kind (spec, Metadata
 * Format: tuples "in ascending order of ByteOffset and no overlap"). Merging kinds is what the delta needs: CSI has
 * one kind of changed block, and a block that became zero (DEALLOCATED) has changed; a backup tool reads it from the
 * target snapshot and gets its zeros. Pulls from the agent's stream only as far as the next batch needs.
 */
final class ExtentBatches implements Iterator<List<BlockMetadata>> {

    /** Tuples per response when the client leaves max_results 0 (spec: "The plugins will determine an appropriate value"). */
    static final int DEFAULT_MAX_RESULTS = 1024;

    private final Iterator<BlockExtent> extents;
    private final int maxResults;
    private long pendingOffset = -1;
    private long pendingEnd;

    ExtentBatches(Iterator<BlockExtent> extents, int maxResults) {
        if (maxResults < 0) {
            throw new IllegalArgumentException("max_results must not be negative, got " + maxResults);
        }
        this.extents = extents;
        this.maxResults = maxResults == 0 ? DEFAULT_MAX_RESULTS : maxResults;
    }

    @Override
    public boolean hasNext() {
        return pendingOffset >= 0 || extents.hasNext();
    }

    @Override
    public List<BlockMetadata> next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        List<BlockMetadata> batch = new ArrayList<>();
        while (batch.size() < maxResults && extents.hasNext()) {
            BlockExtent e = extents.next();
            if (pendingOffset >= 0 && e.offset() == pendingEnd) {
                pendingEnd = e.end();
                continue;
            }
            if (pendingOffset >= 0) {
                batch.add(tuple());
            }
            pendingOffset = e.offset();
            pendingEnd = e.end();
        }
        if (batch.size() < maxResults && pendingOffset >= 0) {
            batch.add(tuple());
            pendingOffset = -1;
        }
        return batch;
    }

    private BlockMetadata tuple() {
        return BlockMetadata.newBuilder()
                .setByteOffset(pendingOffset)
                .setSizeBytes(pendingEnd - pendingOffset)
                .build();
    }
}
