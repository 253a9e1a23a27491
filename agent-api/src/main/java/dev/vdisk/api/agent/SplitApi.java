package dev.vdisk.api.agent;

import java.util.List;
import java.util.Optional;

/** Splits of clones off their backing snapshots, in the background. Failures are {@link AgentException}s. */
public interface SplitApi {

    /**
     * Starts detaching clone {@code volumeId} from its backing snapshot in the background ({@code mode}: {@code share}
     * points the clone at the snapshot's data, {@code copy} copies it), at most {@code rateBytesPerSecond} (0 =
     * unlimited). The agent runs a few splits at once and queues the rest (first come, first started). Idempotent:
     * the same mode while queued, running or done returns the current status.
     *
     * @throws AgentException reason NOT_FOUND (no such volume), FAILED_PRECONDITION (a split in the other mode is
     *                        queued, running or done, or the volume has no backing snapshot), INVALID_ARGUMENT
     *                        (unknown mode, negative rate), OUT_OF_SPACE (copy)
     */
    SplitStatus startSplit(String volumeId, String mode, long rateBytesPerSecond);

    /** The volume's split (queued, running, finished in this process, or recorded in the pool), if any. */
    Optional<SplitStatus> splitStatus(String volumeId);

    /**
     * Stops the volume's split at a consistent point (resumable by {@link #startSplit}) or drops it from the queue.
     * Returns once the cancel is durable: a crash afterwards neither resumes nor restarts the split.
     * Idempotent: no split, a finished one, or no such volume is not an error.
     */
    void cancelSplit(String volumeId);

    /** Every split the agent knows (queued ones included), sorted by volume ID. */
    List<SplitStatus> splits();
}
