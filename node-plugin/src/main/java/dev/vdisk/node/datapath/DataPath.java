package dev.vdisk.node.datapath;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.fuse.FuseSession;
import dev.vdisk.node.fuse.FuseSessionRecord;
import dev.vdisk.node.fuse.FuseTransport;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.loop.LoopDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns backends into block devices: each attached volume is an image file in this process's FUSE mount and
 * a direct-I/O loop device (4 KiB logical blocks) over that file.
 *
 * <p>Order matters and is kept here: attach publishes the image, then attaches the loop; detach detaches the
 * loop (the FUSE workers must still be serving, the loop flushes and releases the file), then removes the
 * image; close detaches every loop before unmounting.
 *
 * <p>Hand-over (with a {@link DescriptorStore} the kernel can use, see {@link FuseSession}): each loop device's
 * descriptor is kept in the store too; {@link #adopt} takes the FUSE connection and the loop devices of a previous
 * process over; {@link #close} with volumes attached detaches nothing and leaves the connection to the holder.
 *
 * <p>Threading: control methods are serialized by this object's monitor (they are rare and slow: ioctls,
 * sysfs); the I/O itself never touches this class.
 */
public final class DataPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataPath.class);
    public static final int LOGICAL_BLOCK_SIZE = 4096;

    /** An attached volume: its image file in the FUSE mount and its block device. */
    public record AttachedVolume(String volumeId, Path image, Path device, int loopNumber) {}

    private record Entry(AttachedVolume volume, LoopDevice loop) {}

    private final FuseSession session;
    private final Optional<DescriptorStore> store;
    // @GuardedBy("this")
    private final Map<String, Entry> volumes = new HashMap<>();

    private DataPath(FuseSession session, Optional<DescriptorStore> store) {
        this.session = session;
        this.store = store;
    }

    /** Mounts the image filesystem at {@code mountPoint} and starts its workers. */
    public static DataPath start(Path mountPoint, FuseConfig config) throws IOException {
        return start(mountPoint, config, Optional.empty());
    }

    /** As {@link #start(Path, FuseConfig)}, keeping the connection and the loop devices in {@code store} if given. */
    public static DataPath start(Path mountPoint, FuseConfig config, Optional<DescriptorStore> store)
            throws IOException {
        return new DataPath(FuseSession.mount(mountPoint, config, store), store);
    }

    /**
     * Takes over the data path a previous process left in {@code store}: its FUSE connection (if the store has a
     * {@code fuse} entry whose mount is still that connection), serving each recorded image whose volume
     * {@code backends} lists, and each such volume's loop device (from its {@code loop/} entry or by backing file;
     * a new one if there is none). Loop devices of recorded images that {@code backends} does not list are detached
     * and their entries dropped. Empty if there is nothing usable to take over (the caller mounts afresh and drops
     * what the store still holds).
     */
    public static Optional<DataPath> adopt(FuseConfig config, DescriptorStore store, Map<String, BlockBackend> backends)
            throws IOException {
        Optional<DescriptorStore.Entry> entry = store.get(FuseSession.FUSE_ENTRY);
        if (entry.isEmpty()) {
            return Optional.empty();
        }
        FuseSessionRecord record;
        FuseSession session;
        try {
            record = FuseSessionRecord.decode(entry.get().record());
            session = FuseSession.adopt(config, store, entry.get(), backends);
        } catch (IOException e) {
            LOG.warn(
                    "cannot take over the FUSE connection the descriptor holder keeps: {}; mounting afresh",
                    e.getMessage());
            return Optional.empty();
        }
        DataPath dataPath = new DataPath(session, Optional.of(store));
        Set<String> served = new HashSet<>();
        for (String volumeId : record.images().keySet()) {
            Path image = session.imagePath(volumeId);
            if (!backends.containsKey(volumeId)) {
                LoopDevice.detachAbandoned(store, volumeId, image);
                continue;
            }
            served.add(volumeId);
            try {
                LoopDevice loop =
                        LoopDevice.adopt(image, volumeId, Optional.of(store)).orElse(null);
                if (loop == null) {
                    LOG.info("volume {} had no loop device left; attaching a new one", volumeId);
                    loop = LoopDevice.attach(image, LOGICAL_BLOCK_SIZE, volumeId, Optional.of(store));
                }
                AttachedVolume volume = new AttachedVolume(volumeId, image, loop.devicePath(), loop.number());
                synchronized (dataPath) {
                    dataPath.volumes.put(volumeId, new Entry(volume, loop));
                }
            } catch (IOException | RuntimeException e) {
                // the caller finds it not attached and stages it again (or marks it abnormal)
                LOG.error("taking over the loop device of volume {} failed: {}", volumeId, e.getMessage());
                session.removeImage(volumeId);
            }
        }
        // loop entries of volumes the record no longer lists (a crash between CLR_FD and the drop, or an image
        // removed before the record was updated)
        for (String name : store.names()) {
            if (name.startsWith(LoopDevice.ENTRY_PREFIX)
                    && !served.contains(name.substring(LoopDevice.ENTRY_PREFIX.length()))) {
                String volumeId = name.substring(LoopDevice.ENTRY_PREFIX.length());
                LoopDevice.detachAbandoned(store, volumeId, session.imagePath(volumeId));
            }
        }
        return Optional.of(dataPath);
    }

    /** Whether {@link #close} hands the connection over instead of tearing it down (a holder the kernel can use). */
    public boolean handsOver() {
        return session.handsOver();
    }

    /** Requests answered that a predecessor had read but not answered. */
    public long resentRequests() {
        return session.resentRequests();
    }

    private Optional<DescriptorStore> loopStore() {
        return session.handsOver() ? store : Optional.empty();
    }

    public Path mountPoint() {
        return session.mountPoint();
    }

    /** How FUSE requests travel (io_uring or /dev/fuse). */
    public FuseTransport transport() {
        return session.transport();
    }

    /** Requests served through io_uring entries so far. */
    public long ringRequests() {
        return session.ringRequests();
    }

    /** Serves {@code backend} as {@code <mountPoint>/<volumeId>} and attaches a loop device to it. */
    public synchronized AttachedVolume attach(String volumeId, BlockBackend backend) throws IOException {
        if (volumes.containsKey(volumeId)) {
            throw new IllegalStateException("volume " + volumeId + " is already attached");
        }
        if (backend.size() % LOGICAL_BLOCK_SIZE != 0) {
            throw new IllegalArgumentException("size of " + volumeId + " is not a multiple of 4096: " + backend.size());
        }
        Path image = session.addImage(volumeId, backend);
        try {
            LoopDevice loop = LoopDevice.attach(image, LOGICAL_BLOCK_SIZE, volumeId, loopStore());
            AttachedVolume volume = new AttachedVolume(volumeId, image, loop.devicePath(), loop.number());
            volumes.put(volumeId, new Entry(volume, loop));
            return volume;
        } catch (IOException | RuntimeException e) {
            session.removeImage(volumeId);
            throw e;
        }
    }

    public synchronized Optional<AttachedVolume> find(String volumeId) {
        return Optional.ofNullable(volumes.get(volumeId)).map(Entry::volume);
    }

    /** After the backend of {@code volumeId} grew: refreshes the image's size, then the loop's capacity. */
    public synchronized void resize(String volumeId) throws IOException {
        Entry entry = entry(volumeId);
        session.imageResized(volumeId);
        entry.loop().refreshCapacity();
    }

    /** Detaches the loop device and removes the image. The caller has unmounted what used the device. */
    public synchronized void detach(String volumeId) throws IOException {
        Entry entry = entry(volumeId);
        try {
            entry.loop().detach();
        } finally {
            volumes.remove(volumeId);
            session.removeImage(volumeId);
        }
    }

    private Entry entry(String volumeId) {
        Entry entry = volumes.get(volumeId);
        if (entry == null) {
            throw new IllegalArgumentException("volume " + volumeId + " is not attached");
        }
        return entry;
    }

    /**
     * Detaches every volume, then unmounts. In hand-over mode with volumes attached: detaches nothing, lets go of the
     * loop devices (the holder keeps them attached) and hands the FUSE connection over ({@link FuseSession#close}).
     */
    @Override
    public synchronized void close() {
        if (session.handsOver() && !volumes.isEmpty()) {
            volumes.values().forEach(e -> e.loop().release());
            LOG.info("handing {} volumes over: loop devices stay attached", volumes.size());
            session.close();
            return;
        }
        for (String volumeId : new ArrayList<>(volumes.keySet())) {
            try {
                detach(volumeId);
            } catch (IOException | RuntimeException e) {
                LOG.error("detaching {} failed", volumeId, e);
            }
        }
        session.close();
    }

    public synchronized List<AttachedVolume> attached() {
        return volumes.values().stream().map(Entry::volume).toList();
    }
}
