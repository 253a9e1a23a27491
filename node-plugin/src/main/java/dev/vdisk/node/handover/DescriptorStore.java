package dev.vdisk.node.handover;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Keeps open, outside the node agent's process, the descriptors that a volume's I/O depends on (the /dev/fuse
 * descriptors of the image filesystem, each volume's loop device), with a small record of what they are, so that
 * the connection and the devices outlive a restart of the agent and its successor can take them over.
 *
 * <p>Entries are named ({@code fuse}, {@code loop/<volumeId>}); a name holds a list of descriptors and a record of
 * at most {@link #MAX_RECORD} bytes. A call returns once the store holds what it was given: after {@link #put}
 * returns, the caller's process may die and the descriptors stay open.
 *
 * <p>Ownership: {@link #put} does not take the caller's descriptors (the store keeps its own duplicates); the
 * descriptors in what {@link #get} returns are new ones, owned and closed by the caller.
 *
 * <p>Threading: implementations are thread-safe.
 */
public interface DescriptorStore extends AutoCloseable {
    /** Largest record an entry may carry. */
    int MAX_RECORD = 64 * 1024;

    /** What is stored under a name: the descriptors (owned by whoever received them) and the record. */
    record Entry(int[] fds, byte[] record) {
        public Entry {
            fds = fds.clone();
            record = record.clone();
        }
    }

    /** Stores (or replaces, closing the old descriptors) the entry {@code name}. */
    void put(String name, int[] fds, byte[] record) throws IOException;

    /** Replaces the record of an existing entry, keeping its descriptors. */
    void update(String name, byte[] record) throws IOException;

    /** The entry with new descriptors for the caller, or empty if nothing is stored under {@code name}. */
    Optional<Entry> get(String name) throws IOException;

    /** Forgets {@code name} and closes the store's descriptors of it; nothing stored is not an error. */
    void drop(String name) throws IOException;

    /** The names stored. */
    List<String> names() throws IOException;

    /** Closes this handle on the store; what it stores stays stored. */
    @Override
    void close();
}
