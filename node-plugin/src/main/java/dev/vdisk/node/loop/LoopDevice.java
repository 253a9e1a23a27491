package dev.vdisk.node.loop;

import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop device attached to an image file, with direct I/O, 4 KiB logical blocks and AUTOCLEAR.
 *
 * <p>AUTOCLEAR means the kernel detaches the device when its last opener closes it. This object keeps the
 * device open for as long as the volume is attached, so: while we run, the device stays; if the process
 * dies, the device goes away by itself as soon as nothing else (a mount, a pod) has it open, so a crash does
 * not leak loop devices. {@link #detach} is LOOP_CLR_FD plus closing our descriptor; if a mount still holds
 * the device, the kernel defers the detach to the last close.
 *
 * <p>Devices are found again by their backing file ({@code /sys/block/loopN/loop/backing_file}, the path of
 * the image, named after the volume); {@code lo_file_name} carries the volume ID too.
 *
 * <p>Hand-over: with a {@link DescriptorStore}, the device's descriptor goes into the entry {@code loop/<volumeId>}
 * right after LOOP_CONFIGURE (so AUTOCLEAR cannot detach a device nobody else has open when this process dies) and
 * is dropped right after LOOP_CLR_FD; {@link #adopt(Path, String, Optional)} takes a device over again, from that
 * entry or found by its backing file, always checking backing file and lo_file_name; {@link #release} lets go of
 * the device without detaching it.
 *
 * <p>Threading: a LoopDevice is used by one control thread at a time; the static methods are thread-safe.
 */
public final class LoopDevice implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoopDevice.class);
    private static final long LOOP_CLR_FD = 0x4C01,
            LOOP_GET_STATUS64 = 0x4C05,
            LOOP_SET_CAPACITY = 0x4C07,
            LOOP_CONFIGURE = 0x4C0A;
    /** Prefix of a loop device's entry in the descriptor store; the volume ID follows. */
    public static final String ENTRY_PREFIX = "loop/";

    private static final Path SYS_BLOCK = Path.of("/sys/block");

    private final int number;
    private int fd;
    /** Where the device's descriptor is kept across a restart, and under which volume ID; null: not kept. */
    private DescriptorStore store;

    private String volumeId;

    private LoopDevice(int number, int fd) {
        this.number = number;
        this.fd = fd;
    }

    /**
     * As {@link #attach(Path, int, String)}; with a store, the device's descriptor is put into {@code loop/<name>}
     * before this returns (if that fails, the device is detached again and this throws).
     */
    public static LoopDevice attach(
            Path backingFile, int logicalBlockSize, String name, Optional<DescriptorStore> store) throws IOException {
        LoopDevice device = attach(backingFile, logicalBlockSize, name);
        if (store.isPresent()) {
            try {
                device.keepIn(store.get(), name, backingFile);
            } catch (IOException | RuntimeException e) {
                device.detach();
                throw e;
            }
        }
        return device;
    }

    private void keepIn(DescriptorStore holder, String name, Path backingFile) throws IOException {
        holder.put(
                ENTRY_PREFIX + name,
                new int[] {fd},
                ("/dev/loop" + number + " " + backingFile).getBytes(StandardCharsets.UTF_8));
        store = holder;
        volumeId = name;
    }

    /**
     * Takes over the loop device of volume {@code volumeId} on {@code image} left by a predecessor: the one whose
     * descriptor the store keeps under {@code loop/<volumeId>}, else one found by its backing file. Either way the
     * device must be attached to {@code image} with lo_file_name {@code volumeId}; a descriptor that does not match
     * is dropped from the store. With a store the adopted device's descriptor is (again) kept there. Empty: the
     * image has no such device (attach one).
     */
    public static Optional<LoopDevice> adopt(Path image, String volumeId, Optional<DescriptorStore> store)
            throws IOException {
        Path wanted = image.toAbsolutePath().normalize();
        if (store.isPresent()) {
            Optional<DescriptorStore.Entry> entry = store.get().get(ENTRY_PREFIX + volumeId);
            if (entry.isPresent()) {
                int[] fds = entry.get().fds();
                for (int i = 1; i < fds.length; i++) {
                    Libc.close(fds[i]);
                }
                if (fds.length > 0) {
                    Optional<LoopDevice> held = verified(fds[0], wanted, volumeId);
                    if (held.isPresent()) {
                        held.get().store = store.get();
                        held.get().volumeId = volumeId;
                        LOG.info(
                                "took over /dev/loop{} of volume {} from the descriptor holder",
                                held.get().number,
                                volumeId);
                        return held;
                    }
                }
                LOG.warn(
                        "the holder's loop device of volume {} is not attached to {} any more; dropping it",
                        volumeId,
                        wanted);
                store.get().drop(ENTRY_PREFIX + volumeId);
            }
        }
        for (int n : findByBackingFile(wanted)) {
            int fd;
            try {
                fd = Libc.checkedOpen("/dev/loop" + n, Libc.O_RDWR);
            } catch (ErrnoException e) {
                continue; // detached meanwhile
            }
            Optional<LoopDevice> found = verified(fd, wanted, volumeId);
            if (found.isPresent()) {
                LOG.info("took over /dev/loop{} of volume {}, found by its backing file", n, volumeId);
                if (store.isPresent()) {
                    found.get().keepIn(store.get(), volumeId, wanted);
                }
                return found;
            }
        }
        return Optional.empty();
    }

    /** The device open on {@code fd} if it is attached to {@code image} with lo_file_name {@code volumeId}; else closes fd. */
    private static Optional<LoopDevice> verified(int fd, Path image, String volumeId) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(LoopConfig.INFO_SIZE, 8);
            if (Libc.ioctl(fd, LOOP_GET_STATUS64, info) == 0) {
                LoopConfig.Status status = LoopConfig.Status.decode(info);
                String expected = LoopConfig.truncatedName(volumeId);
                if (status.fileName().equals(expected) && image.equals(backingFile(status.number()))) {
                    return Optional.of(new LoopDevice(status.number(), fd));
                }
                LOG.warn(
                        "/dev/loop{} has lo_file_name '{}' and backing file {}, not {} on {}",
                        status.number(),
                        status.fileName(),
                        backingFile(status.number()),
                        volumeId,
                        image);
            }
        }
        Libc.close(fd);
        return Optional.empty();
    }

    /**
     * Detaches the loop device of a volume that is no longer served (its entry's device, and any found on its
     * image) and drops its entry. A device still open elsewhere goes away at its last close (AUTOCLEAR).
     */
    public static void detachAbandoned(DescriptorStore store, String volumeId, Path image) throws IOException {
        Optional<LoopDevice> device = adopt(image, volumeId, Optional.empty());
        Optional<DescriptorStore.Entry> entry = store.get(ENTRY_PREFIX + volumeId);
        store.drop(ENTRY_PREFIX + volumeId);
        if (entry.isPresent()) {
            for (int fd : entry.get().fds()) {
                Libc.ioctl(fd, LOOP_CLR_FD, 0L); // ENXIO if already detached: fine
                Libc.close(fd);
            }
        }
        if (device.isPresent()) {
            LOG.info("detaching /dev/loop{} of volume {}, which is no longer staged", device.get().number, volumeId);
            device.get().detach();
        }
    }

    /**
     * Lets go of the device without detaching it (hand-over): the holder keeps it attached and its successor takes
     * it over; closing our descriptor cannot trigger AUTOCLEAR while the holder has one open.
     */
    public void release() {
        if (fd >= 0) {
            Libc.close(fd);
            fd = -1;
        }
    }

    /**
     * Attaches a free loop device to {@code backingFile} with direct I/O and the given logical block size.
     *
     * @param name recorded as lo_file_name (the volume ID)
     * @throws IOException also if the kernel would not turn direct I/O on (then nothing stays attached)
     */
    public static LoopDevice attach(Path backingFile, int logicalBlockSize, String name) throws IOException {
        int backingFd = Libc.checkedOpen(backingFile.toString(), Libc.O_RDWR);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(LoopConfig.SIZE, 8);
            new LoopConfig(
                            backingFd,
                            logicalBlockSize,
                            LoopConfig.LO_FLAGS_DIRECT_IO | LoopConfig.LO_FLAGS_AUTOCLEAR,
                            name)
                    .encode(config);
            for (int attempt = 0; ; attempt++) {
                int number = LoopControl.getFree();
                int fd = Libc.checkedOpen("/dev/loop" + number, Libc.O_RDWR);
                if (Libc.ioctl(fd, LOOP_CONFIGURE, config) == 0) {
                    LoopDevice device = new LoopDevice(number, fd);
                    try {
                        device.checkConfigured(logicalBlockSize);
                    } catch (IOException | RuntimeException e) {
                        device.detach();
                        throw e;
                    }
                    LOG.info("attached /dev/loop{} to {} (dio, {} byte blocks)", number, backingFile, logicalBlockSize);
                    return device;
                }
                int errno = Libc.errno();
                Libc.close(fd);
                // EBUSY: someone else configured the device between GET_FREE and CONFIGURE; take another
                if (errno != Libc.EBUSY || attempt >= 16) {
                    throw new ErrnoException(
                            "ioctl(/dev/loop" + number + ", LOOP_CONFIGURE, " + backingFile + ")", errno);
                }
            }
        } finally {
            Libc.close(backingFd); // the loop driver holds its own reference to the file
        }
    }

    /** Takes over a device found attached (for instance by a previous process) so that it can be detached. */
    public static LoopDevice adopt(int number) throws IOException {
        return new LoopDevice(number, Libc.checkedOpen("/dev/loop" + number, Libc.O_RDWR));
    }

    private void checkConfigured(int logicalBlockSize) throws IOException {
        String dio = sysfs("loop/dio");
        String lbs = sysfs("queue/logical_block_size");
        if (!"1".equals(dio) || !Integer.toString(logicalBlockSize).equals(lbs)) {
            throw new IOException("/dev/loop" + number + " came up with dio=" + dio + ", logical_block_size=" + lbs
                    + " (wanted dio=1, " + logicalBlockSize + ")");
        }
    }

    public int number() {
        return number;
    }

    public Path devicePath() {
        return Path.of("/dev/loop" + number);
    }

    /** Size of the device in bytes, as the block layer sees it. */
    public long size() throws IOException {
        return Long.parseLong(sysfs("size")) * 512;
    }

    /** LOOP_SET_CAPACITY: re-reads the backing file's size (after the image grew). */
    public void refreshCapacity() throws IOException {
        Libc.checkedIoctl(fd, LOOP_SET_CAPACITY, 0L, "ioctl(/dev/loop" + number + ", LOOP_SET_CAPACITY)");
    }

    /**
     * Detaches: LOOP_CLR_FD, then closes our descriptor, then waits (up to 5 s) until the device has no
     * backing file. If someone else still has the device open, the kernel detaches on their last close and
     * this method returns after the wait with a warning.
     */
    public void detach() throws IOException {
        if (fd < 0) {
            return;
        }
        int r = Libc.ioctl(fd, LOOP_CLR_FD, 0L);
        int errno = r < 0 ? Libc.errno() : 0;
        Libc.close(fd);
        fd = -1;
        if (store != null) {
            try {
                store.drop(ENTRY_PREFIX + volumeId); // after CLR_FD: the holder's copy must not keep it attached
            } catch (IOException e) {
                LOG.warn("dropping the holder's descriptor of /dev/loop{} failed: {}", number, e.getMessage());
            }
            store = null;
        }
        // ENXIO: already detached (autoclear ran); anything else is worth an exception
        if (r < 0 && errno != Libc.ENXIO) {
            throw new ErrnoException("ioctl(/dev/loop" + number + ", LOOP_CLR_FD)", errno);
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (backingFile(number) != null) {
            if (System.nanoTime() > deadline) {
                LOG.warn("/dev/loop{} is still attached 5 s after LOOP_CLR_FD: still open elsewhere", number);
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while detaching /dev/loop" + number, e);
            }
        }
        LOG.info("detached /dev/loop{}", number);
    }

    @Override
    public void close() throws IOException {
        detach();
    }

    private String sysfs(String attribute) throws IOException {
        return Files.readString(SYS_BLOCK.resolve("loop" + number).resolve(attribute))
                .strip();
    }

    /** The backing file of /dev/loopN, or null if it is not attached. */
    public static Path backingFile(int number) throws IOException {
        try {
            String s = Files.readString(SYS_BLOCK.resolve("loop" + number).resolve("loop/backing_file"))
                    .strip();
            // a deleted backing file shows as "path (deleted)"; we compare paths, so keep it as is
            return s.isEmpty() ? null : Path.of(s);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Numbers of the loop devices attached to {@code file}. */
    public static List<Integer> findByBackingFile(Path file) throws IOException {
        Path wanted = file.toAbsolutePath().normalize();
        List<Integer> result = new ArrayList<>();
        for (var e : attached()) {
            if (e.backingFile().equals(wanted)) {
                result.add(e.number());
            }
        }
        return result;
    }

    /** An attached loop device: its number and the path of its backing file. */
    public record Attached(int number, Path backingFile) {}

    /** Every attached loop device on the machine. */
    public static List<Attached> attached() throws IOException {
        List<Attached> result = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(SYS_BLOCK, "loop*")) {
            for (Path dir : dirs) {
                int number = Integer.parseInt(dir.getFileName().toString().substring(4));
                Path backing = backingFile(number);
                if (backing != null) {
                    result.add(new Attached(number, backing));
                }
            }
        }
        return result;
    }
}
