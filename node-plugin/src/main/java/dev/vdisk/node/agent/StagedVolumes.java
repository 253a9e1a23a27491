package dev.vdisk.node.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The staged volumes, in memory and in the {@link StateFile}: every change is written through before the call
 * that made it returns, so what the CO was told succeeded is on disk.
 *
 * <p>Locking: this object's monitor guards {@link #volumes} and the file (each write is a whole snapshot, so two
 * writers must not interleave). A volume's entry changes only under that volume's {@link VolumeLocks} lock, so a
 * read-modify-write of one entry by its lock holder is safe.
 */
public final class StagedVolumes {
    private final StateFile file;
    // @GuardedBy("this")
    private final Map<String, StagedVolume> volumes = new LinkedHashMap<>();

    StagedVolumes(StateFile file, List<StagedVolume> initial) {
        this.file = file;
        initial.forEach(v -> volumes.put(v.volumeId(), v));
    }

    public synchronized Optional<StagedVolume> get(String volumeId) {
        return Optional.ofNullable(volumes.get(volumeId));
    }

    public synchronized List<StagedVolume> all() {
        return List.copyOf(volumes.values());
    }

    public synchronized int size() {
        return volumes.size();
    }

    /** Records (or replaces) {@code volume} and writes the file. */
    public synchronized void put(StagedVolume volume) {
        StagedVolume previous = volumes.put(volume.volumeId(), volume);
        try {
            file.write(new ArrayList<>(volumes.values()));
        } catch (IOException e) {
            if (previous != null) {
                volumes.put(volume.volumeId(), previous);
            } else {
                volumes.remove(volume.volumeId());
            }
            throw new UncheckedIOException(
                    "cannot write the node state file (node-state in the agent's state" + " directory): "
                            + FileErrors.reason(e),
                    e);
        }
    }

    /** Forgets {@code volumeId} and writes the file. */
    public synchronized void remove(String volumeId) {
        StagedVolume previous = volumes.remove(volumeId);
        if (previous == null) {
            return;
        }
        try {
            file.write(new ArrayList<>(volumes.values()));
        } catch (IOException e) {
            volumes.put(volumeId, previous);
            throw new UncheckedIOException(
                    "cannot write the node state file (node-state in the agent's state" + " directory): "
                            + FileErrors.reason(e),
                    e);
        }
    }
}
