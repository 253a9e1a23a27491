package dev.vdisk.node.host;

import dev.vdisk.node.loop.LoopDevice;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import dev.vdisk.node.sys.StatVfs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether a staged volume still works, for NodeGetVolumeStats' volume_condition. Cheap, and each check answers
 * one failure we have seen: the loop device lost its backing image (detached, or the image of a dead process),
 * the device does not answer a read (the FUSE connection behind it is gone: EIO/ENOTCONN), the staging mount
 * is gone or is not on our device, the filesystem does not answer statvfs, or it turned itself read-only (ext4
 * errors=remount-ro after failed writes).
 */
public final class VolumeHealth {
    private VolumeHealth() {}

    /**
     * @param loopNumber the loop device the data path attached, with {@code image} its expected backing file
     * @param stagingMount the staging path for a mount volume, or null for a block volume
     * @param readOnly whether the volume was staged read-only (else a read-only filesystem is a problem)
     * @return a message saying what is wrong, or empty when the volume looks healthy. It reaches users, so it names
     *     no host path but the staging path the CO gave (the device and the image are the node's business).
     */
    public static Optional<String> problem(int loopNumber, Path image, Path stagingMount, boolean readOnly) {
        Path device = Path.of("/dev/loop" + loopNumber);
        try {
            Path backing = LoopDevice.backingFile(loopNumber);
            if (backing == null || !backing.equals(image)) {
                return Optional.of("the volume's loop device is no longer backed by its image (detached, or the image"
                        + " of a dead node agent); unstage and stage the volume");
            }
        } catch (IOException e) {
            return Optional.of("cannot read the state of the volume's loop device: " + e.getMessage());
        }
        Optional<String> unreadable = readFirstBlock(device);
        if (unreadable.isPresent()) {
            return unreadable;
        }
        if (stagingMount != null) {
            boolean mounted = MountTable.mounts().stream()
                    .anyMatch(m ->
                            m.mountPoint().equals(stagingMount) && m.source().equals(device.toString()));
            if (!mounted) {
                return Optional.of("staging path " + stagingMount + " no longer has the volume's device mounted");
            }
            StatVfs fs;
            try {
                fs = StatVfs.of(stagingMount);
            } catch (ErrnoException e) {
                return Optional.of("filesystem at " + stagingMount + " does not answer: " + Libc.strerror(e.errno()));
            }
            if (fs.readOnly() && !readOnly) {
                return Optional.of("filesystem at " + stagingMount + " is read-only although staged read-write: it"
                        + " turned itself read-only after write errors; once the cause is fixed, unstage and stage"
                        + " the volume (the mount replays its journal)");
            }
        }
        return Optional.empty();
    }

    /** One direct 4 KiB read at offset 0, bypassing the page cache, so it reaches the data path. */
    private static Optional<String> readFirstBlock(Path device) {
        int fd;
        try {
            fd = Libc.checkedOpen(device.toString(), Libc.O_RDONLY | Libc.O_DIRECT);
        } catch (ErrnoException e) {
            return Optional.of("cannot open the volume's loop device: " + Libc.strerror(e.errno()));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096, 4096);
            long n = Libc.pread(fd, buf, 4096, 0);
            if (n < 0) {
                return Optional.of("reading the volume's loop device failed: " + Libc.strerror(Libc.errno())
                        + "; the data path behind it is broken");
            }
            return Optional.empty();
        } finally {
            Libc.close(fd);
        }
    }
}
