package dev.vdisk.engine.replica;

/**
 * What a replica remembers between imports and across crashes.
 *
 * @param replica the replica's name: its vdisk on the target pool and its state file
 * @param lastSnapshot the replica's newest complete snapshot (on the target pool), null before the first import
 * @param lastSource the source snapshot that {@code lastSnapshot} equals: the base of the next delta
 * @param pending the import under way, null if none
 */
public record ReplicaState(String replica, String lastSnapshot, String lastSource, Pending pending) {
    /**
     * An import under way.
     *
     * @param sourceBase the source snapshot the delta starts from ({@code lastSource}), null for a seed
     * @param sourceSnap the source snapshot being imported
     * @param replicaSnap the snapshot the replica takes when the import is complete
     * @param sizeBytes the source snapshot's size
     * @param cursor byte offset up to which every chunk is durably applied: resume asks the source from here
     * @param doneBytes bytes covered (data and zeros) up to the cursor, for progress
     * @param aborting an abort started: finish rolling back before anything else
     */
    public record Pending(
            String sourceBase,
            String sourceSnap,
            String replicaSnap,
            long sizeBytes,
            long cursor,
            long doneBytes,
            boolean aborting) {
        Pending at(long newCursor, long newDoneBytes) {
            return new Pending(sourceBase, sourceSnap, replicaSnap, sizeBytes, newCursor, newDoneBytes, aborting);
        }

        Pending abortingFromStart() {
            return new Pending(sourceBase, sourceSnap, replicaSnap, sizeBytes, 0, 0, true);
        }
    }

    static ReplicaState empty(String replica) {
        return new ReplicaState(replica, null, null, null);
    }

    ReplicaState withPending(Pending p) {
        return new ReplicaState(replica, lastSnapshot, lastSource, p);
    }

    ReplicaState completed(String snapshot, String source) {
        return new ReplicaState(replica, snapshot, source, null);
    }
}
