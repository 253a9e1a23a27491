package dev.vdisk.node.datapath;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.fuse.FuseSession;
import dev.vdisk.node.fuse.FuseTransport;
import dev.vdisk.node.loop.LoopDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns backends into block devices: each attached volume is an image file in this process's FUSE mount and
 * a direct-I/O loop device (4 KiB logical blocks) over that file.
 *
 * <p>Order matters and is kept here: attach publishes the image, then attaches the loop; detach detaches the
 * loop (the FUSE workers must still be serving, the loop flushes and releases the file), then removes the
 * image; close detaches every loop before unmounting.
 *
 * <p>Threading: control methods are serialized by this object's monitor (they are rare and slow: ioctls,
 * sysfs); the I/O itself never touches this class.
 */
public final class DataPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataPath.class);
    public static final int LOGICAL_BLOCK_SIZE = 4096;

    /** An attached volume: its image file in the FUSE mount and its block device. */
    public record AttachedVolume(String volumeId, Path image, Path device, int loopNumber) {
    }

    private record Entry(AttachedVolume volume, LoopDevice loop) {
    }

    private final FuseSession session;
    // @GuardedBy("this")
    private final Map<String, Entry> volumes = new HashMap<>();

    private DataPath(FuseSession session) {
        this.session = session;
    }

    /** Mounts the image filesystem at {@code mountPoint} and starts its workers. */
    public static DataPath start(Path mountPoint, FuseConfig config) throws IOException {
        return new DataPath(FuseSession.mount(mountPoint, config));
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
            LoopDevice loop = LoopDevice.attach(image, LOGICAL_BLOCK_SIZE, volumeId);
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

    /** Detaches every volume, then unmounts. */
    @Override
    public synchronized void close() {
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
