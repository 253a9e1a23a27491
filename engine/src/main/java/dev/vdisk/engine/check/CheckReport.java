package dev.vdisk.engine.check;

import java.util.List;

/**
 * Result of a consistency check.
 *
 * @param problems empty when the pool is clean
 * @param trees trees walked
 * @param indirectBlocks indirect blocks visited (and re-read from disk when clean)
 * @param dataSegments mapped data entries seen
 */
public record CheckReport(List<Problem> problems, int trees, long indirectBlocks, long dataSegments) {

    public CheckReport {
        problems = List.copyOf(problems);
    }

    public boolean clean() {
        return problems.isEmpty();
    }

    /** What is wrong with one segment. */
    public enum Kind {
        /** Counted in use by the allocator but referenced by fewer maps than its count. */
        LEAKED,
        /** Referenced by more parents than its count, or by two unrelated trees, or twice in one tree. */
        DOUBLY_OWNED,
        /** An indirect block or catalog segment whose content does not match its CRC. */
        BAD_CHECKSUM,
        /** A pointer past the end of the pool or into the superblock area. */
        DANGLING
    }

    /** One finding. */
    public record Problem(Kind kind, long vbn, String detail) {
        @Override
        public String toString() {
            return kind + " segment " + vbn + ": " + detail;
        }
    }
}
