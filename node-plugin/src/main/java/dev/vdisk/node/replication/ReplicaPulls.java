package dev.vdisk.node.replication;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's pulls as their pullers last published them, by replica id: what the replica status and the metrics show
 * (bytes, percent, ETA, rate). One per agent; pullers write from their threads, status and scrapes read from theirs
 * (a concurrent map of immutable values). A finished pull stays until the replica's next pull replaces it.
 */
public final class ReplicaPulls {
    private final Map<String, PullStatus> latest = new ConcurrentHashMap<>();

    void publish(PullStatus status) {
        latest.put(status.replicaId(), status);
    }

    public Optional<PullStatus> of(String replicaId) {
        return Optional.ofNullable(latest.get(replicaId));
    }

    public List<PullStatus> all() {
        return List.copyOf(latest.values());
    }

    /** Drops what is known of a replica's pull (the replica was deleted). */
    public void forget(String replicaId) {
        latest.remove(replicaId);
    }
}
