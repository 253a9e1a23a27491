package dev.vdisk.node.fuse;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * One mounted FUSE filesystem ({@code fuse.vdisk}) whose root holds one image file per attached volume.
 *
 * <p>Lifecycle: {@link #mount} opens /dev/fuse, mounts it, clones one descriptor per worker, starts the
 * workers and waits for INIT. {@link #close} unmounts (lazily, and then aborts the connection through
 * fusectl, if something still holds an image open), which ends the connection: every worker's read(2) returns
 * ENODEV and the worker exits; then the descriptors and buffers are freed.
 *
 * <p>Threading: workers are platform threads named {@code fuse-<mount>-N}, confined to their own buffers.
 * Control methods ({@link #addImage}, {@link #removeImage}, {@link #imageResized}, {@link #close}) may be
 * called from any thread except a worker; notifications are written on the main descriptor under this
 * object's monitor.
 *
 * <p>Notification layouts (a reply with unique 0 and the notify code as error):
 * <pre>
 * fuse_notify_inval_inode_out  ino u64 @0 | off i64 @8 | len i64 @16            (24 bytes)
 * fuse_notify_inval_entry_out  parent u64 @0 | namelen u32 @8 | flags u32 @12, then name and NUL
 * </pre>
 */
public final class FuseSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
    private static final Path FUSECTL = Path.of("/sys/fs/fuse/connections");

    private final Path mountPoint;
    private final int mainFd;
    private final List<Integer> workerFds = new ArrayList<>();
    private final List<Thread> workers = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final ImageDirectory directory = new ImageDirectory();
    private final CountDownLatch initDone = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean initOk;
    private long connection = -1;

    private FuseSession(Path mountPoint, int mainFd) {
        this.mountPoint = mountPoint;
        this.mainFd = mainFd;
    }

    /**
     * Mounts an empty image filesystem at {@code mountPoint} (created if missing). A stale {@code fuse.vdisk}
     * mount left there by a dead process is detached first.
     */
    public static FuseSession mount(Path mountPoint, FuseConfig config) throws IOException {
        Path target = mountPoint.toAbsolutePath().normalize();
        Files.createDirectories(target);
        for (MountTable.Mount m : MountTable.mounts()) {
            if (m.mountPoint().equals(target)) {
                LOG.warn("{} is already mounted ({}), detaching it", target, m.fsType());
                int r = Libc.umount2(target.toString(), Libc.MNT_DETACH);
                if (r != 0) {
                    throw new ErrnoException("umount2(" + target + ", MNT_DETACH)", r);
                }
            }
        }
        int fd = Libc.checkedOpen("/dev/fuse", Libc.O_RDWR);
        FuseSession session = new FuseSession(target, fd);
        try {
            Libc.checkedMount("vdisk", target.toString(), "fuse.vdisk", Libc.MS_NOSUID | Libc.MS_NODEV,
                    "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0,allow_other");
            session.start(config);
            if (!session.initDone.await(10, TimeUnit.SECONDS) || !session.initOk) {
                throw new IOException("FUSE INIT did not complete at " + target);
            }
            session.connection = session.connectionId();
            LOG.info("mounted fuse.vdisk at {} (connection {}, {} workers, clone={})", target, session.connection,
                    config.workers(), config.cloneDevice());
            return session;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.close();
            throw new IOException("interrupted while mounting " + target, e);
        } catch (IOException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private void start(FuseConfig config) throws IOException {
        long time = System.currentTimeMillis() / 1000;
        try (Arena scratch = Arena.ofConfined()) {
            for (int i = 0; i < config.workers(); i++) {
                int fd = mainFd;
                if (config.cloneDevice() && i > 0) {
                    fd = Libc.checkedOpen("/dev/fuse", Libc.O_RDWR);
                    workerFds.add(fd);
                    MemorySegment arg = scratch.allocateFrom(JAVA_INT, mainFd);
                    Libc.checkedIoctl(fd, FuseProtocol.FUSE_DEV_IOC_CLONE, arg, "ioctl(FUSE_DEV_IOC_CLONE)");
                }
                Thread t = Thread.ofPlatform().daemon().name("fuse-" + mountPoint.getFileName() + "-" + i)
                        .unstarted(new FuseWorker(fd, this, directory, config, arena, time));
                workers.add(t);
            }
        }
        workers.forEach(Thread::start);
    }

    /** Called by the worker that answered INIT. */
    void initialized(boolean ok) {
        initOk = ok;
        initDone.countDown();
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** Where the image of {@code name} appears. */
    public Path imagePath(String name) {
        return mountPoint.resolve(name);
    }

    /** Publishes a new image file; returns its path. */
    public Path addImage(String name, BlockBackend backend) {
        directory.add(name, backend);
        return imagePath(name);
    }

    /** Removes an image file. The caller has detached whatever had it open. */
    public void removeImage(String name) throws IOException {
        if (directory.remove(name) != null) {
            invalidateEntry(name);
        }
    }

    /**
     * Tells the kernel that the backend of {@code name} changed size: drops the cached attributes and stats
     * the file, so that the image's i_size (which the loop driver reads) is current when this returns.
     */
    public void imageResized(String name) throws IOException {
        ImageDirectory.Image image = directory.byName(name);
        if (image == null) {
            throw new IllegalArgumentException("no image " + name);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(16 + 24, 8);
            m.set(JAVA_LONG_UNALIGNED, 16, image.inode());
            m.set(JAVA_LONG_UNALIGNED, 24, -1L); // off < 0: attributes only, there is no page cache to drop
            m.set(JAVA_LONG_UNALIGNED, 32, 0L);
            notify(m, FuseProtocol.NOTIFY_INVAL_INODE);
        }
        long seen = Files.size(imagePath(name));
        if (seen != image.backend().size()) {
            throw new IOException("image " + name + " shows " + seen + " bytes after resize, backend has "
                    + image.backend().size());
        }
    }

    private void invalidateEntry(String name) throws IOException {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(16 + 16 + bytes.length + 1, 8);
            m.set(JAVA_LONG_UNALIGNED, 16, FuseProtocol.ROOT_ID);
            m.set(JAVA_INT_UNALIGNED, 24, bytes.length);
            m.set(JAVA_INT_UNALIGNED, 28, 0);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, m, 32, bytes.length);
            notify(m, FuseProtocol.NOTIFY_INVAL_ENTRY);
        }
    }

    private synchronized void notify(MemorySegment message, int code) throws IOException {
        int length = (int) message.byteSize();
        message.set(JAVA_INT_UNALIGNED, 0, length);
        message.set(JAVA_INT_UNALIGNED, 4, code);
        message.set(JAVA_LONG_UNALIGNED, 8, 0L);
        if (Libc.write(mainFd, message, length) < 0) {
            int errno = Libc.errno();
            if (errno != Libc.ENOENT) { // ENOENT: the kernel had nothing cached
                throw new ErrnoException("FUSE notify " + code, errno);
            }
        }
    }

    /** The fusectl name of this connection: the minor number of the mount's anonymous device. */
    private long connectionId() throws IOException {
        long dev = ((Number) Files.getAttribute(mountPoint, "unix:dev")).longValue();
        return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    }

    /**
     * Unmounts and stops the workers. If an image is still open (a loop device still attached), the mount is
     * detached lazily and the connection aborted, so that nothing is left mounted either way; I/O on such a
     * leftover loop device fails from then on.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (MountTable.isMountPoint(mountPoint)) {
            int r = Libc.umount2(mountPoint.toString(), 0);
            if (r == Libc.EBUSY) {
                LOG.warn("{} is busy (an image is still open): detaching lazily and aborting the connection", mountPoint);
                r = Libc.umount2(mountPoint.toString(), Libc.MNT_DETACH);
                abort();
            }
            if (r != 0) {
                LOG.error("unmounting {} failed: {}", mountPoint, Libc.strerror(r));
            }
        }
        if (!joinWorkers(5_000)) {
            abort();
            joinWorkers(5_000);
        }
        for (int fd : workerFds) {
            Libc.close(fd);
        }
        Libc.close(mainFd);
        if (workers.stream().noneMatch(Thread::isAlive)) {
            arena.close();
        } else {
            LOG.error("FUSE workers of {} did not stop; their buffers stay allocated", mountPoint);
        }
        LOG.info("unmounted {}", mountPoint);
    }

    private boolean joinWorkers(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        for (Thread t : workers) {
            try {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return workers.stream().noneMatch(Thread::isAlive);
    }

    /** Aborts the connection through fusectl (mounting fusectl if needed): every reader gets ENODEV. */
    private void abort() {
        if (connection < 0) {
            return;
        }
        try {
            if (!Files.exists(FUSECTL.resolve("" + connection))) {
                if (!MountTable.isMountPoint(FUSECTL)) {
                    Libc.checkedMount("fusectl", FUSECTL.toString(), "fusectl", 0, "");
                }
            }
            Files.writeString(FUSECTL.resolve(connection + "/abort"), "1");
        } catch (IOException e) {
            LOG.error("aborting FUSE connection {} failed", connection, e);
        }
    }
}
