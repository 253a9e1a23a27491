package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mounted FUSE filesystem ({@code fuse.vdisk}) whose root holds one image file per attached volume.
 *
 * <p>Lifecycle: {@link #mount} opens /dev/fuse, mounts it, clones one descriptor per worker, starts the
 * workers and waits for INIT. With the io_uring transport ({@link FuseTransport}) there is one /dev/fuse worker
 * (INIT, FORGET, INTERRUPT), INIT's reply advertises FUSE_OVER_IO_URING, and then {@link UringQueueWorker}s
 * register ring entries on every kernel queue (one per possible CPU; the kernel holds requests until each queue
 * has one) before mount returns. {@link #close} unmounts (lazily, and then aborts the connection through
 * fusectl, if something still holds an image open), which ends the connection: every worker's read(2) returns
 * ENODEV, every ring entry comes back with ENOTCONN, and the workers exit; then the descriptors and buffers are
 * freed.
 *
 * <p>Threading: workers are platform threads named {@code fuse-<mount>-N} ({@code fuse-<mount>-qQ-N} for ring
 * threads), confined to their own buffers.
 * Control methods ({@link #addImage}, {@link #removeImage}, {@link #imageResized}, {@link #close}) may be
 * called from any thread except a worker; notifications are written on the main descriptor under this
 * object's monitor.
 *
 * <p>Hand-over ({@code docs/architecture/restarts.md}): mounted with a {@link DescriptorStore}, the session runs
 * over /dev/fuse (io_uring entries of a dead process would strand their requests), probes FUSE_NOTIFY_RESEND right
 * after INIT (an older kernel answers EINVAL: the session then runs without hand-over), puts every worker descriptor
 * into the store's {@link #FUSE_ENTRY} entry with a {@link FuseSessionRecord}, and updates the record before an
 * image becomes visible and after one is removed. {@link #adopt} takes such an entry over in a new process;
 * {@link #close} then hands over instead of unmounting while an image exists ({@link StopGate}).
 *
 * <p>Notification layouts (a reply with unique 0 and the notify code as error):
 * <pre>
 * fuse_notify_inval_inode_out  ino u64 @0 | off i64 @8 | len i64 @16            (24 bytes)
 * fuse_notify_inval_entry_out  parent u64 @0 | namelen u32 @8 | flags u32 @12, then name and NUL
 * FUSE_NOTIFY_RESEND           header only                                      (0 bytes)
 * </pre>
 */
public final class FuseSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
    private static final Path FUSECTL = Path.of("/sys/fs/fuse/connections");
    /** The store entry holding the connection's descriptors. */
    public static final String FUSE_ENTRY = "fuse";
    /** How long a graceful hand-over waits for requests in flight. */
    private static final long DRAIN_MILLIS = 5_000;

    private final Path mountPoint;
    private final int mainFd;
    private final List<Integer> workerFds = new ArrayList<>();
    private final List<Thread> workers = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final ImageDirectory directory = new ImageDirectory();
    private final CountDownLatch initDone = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final FuseTransport transport;
    private final LongAdder ringRequests = new LongAdder();
    /** Timestamps of the root and the images. */
    private final long time;

    private final StopGate gate = new StopGate();
    private final LongAdder resentRequests = new LongAdder();
    private volatile boolean initOk;
    private volatile boolean uringAccepted;
    private volatile int initFlags, initFlags2;
    private int maxWrite;
    private long connection = -1;
    /** Where the connection is kept across a restart; null: no hand-over (none configured, or the kernel cannot). */
    private volatile DescriptorStore store;

    private FuseSession(Path mountPoint, int mainFd, FuseTransport transport, long time) {
        this.mountPoint = mountPoint;
        this.mainFd = mainFd;
        this.transport = transport;
        this.time = time;
    }

    /**
     * Mounts an empty image filesystem at {@code mountPoint} (created 0700 if missing). A stale {@code fuse.vdisk}
     * mount left there by a dead process is detached first.
     */
    public static FuseSession mount(Path mountPoint, FuseConfig config) throws IOException {
        return mount(mountPoint, config, Optional.empty(), FuseHandOver::writeResend);
    }

    /**
     * As {@link #mount(Path, FuseConfig)}; with a store the connection is put into it right after INIT, if the
     * kernel can resend requests (else one line says so and the session runs without hand-over).
     */
    public static FuseSession mount(Path mountPoint, FuseConfig config, Optional<DescriptorStore> store)
            throws IOException {
        return mount(mountPoint, config, store, FuseHandOver::writeResend);
    }

    static FuseSession mount(
            Path mountPoint, FuseConfig config, Optional<DescriptorStore> store, FuseHandOver.ResendWriter resend)
            throws IOException {
        Path target = mountPoint.toAbsolutePath().normalize();
        PrivateFiles.createDirectories(target);
        warnIfOthersMayEnter(target.getParent());
        for (MountTable.Mount m : MountTable.mounts()) {
            if (m.mountPoint().equals(target)) {
                LOG.warn("{} is already mounted ({}), detaching it", target, m.fsType());
                int r = Libc.umount2(target.toString(), Libc.MNT_DETACH);
                if (r != 0) {
                    throw new ErrnoException("umount2(" + target + ", MNT_DETACH)", r);
                }
            }
        }
        FuseTransport transport = store.isPresent() ? forHandOver(config.transport()) : resolve(config.transport());
        int fd = Libc.checkedOpen("/dev/fuse", Libc.O_RDWR);
        FuseSession session = new FuseSession(target, fd, transport, System.currentTimeMillis() / 1000);
        session.maxWrite = config.maxWrite();
        try {
            Libc.checkedMount(
                    "vdisk",
                    target.toString(),
                    "fuse.vdisk",
                    Libc.MS_NOSUID | Libc.MS_NODEV,
                    "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions");
            session.start(config);
            if (!session.initDone.await(10, TimeUnit.SECONDS) || !session.initOk) {
                throw new IOException("FUSE INIT did not complete at " + target);
            }
            if (transport == FuseTransport.URING) {
                // before any request of ours (even a stat of the mount point): the kernel holds them until then
                session.startRing(config);
                session.connection = session.connectionId();
                LOG.info(
                        "mounted fuse.vdisk at {} (connection {}, io_uring: {} queues x {} threads x {} entries)",
                        target,
                        session.connection,
                        UringSupport.possibleCpus(),
                        config.ringThreads(),
                        config.ringDepth());
            } else {
                session.connection = session.connectionId();
                LOG.info(
                        "mounted fuse.vdisk at {} (connection {}, /dev/fuse: {} workers, clone={})",
                        target,
                        session.connection,
                        config.workers(),
                        config.cloneDevice());
            }
            if (store.isPresent()) {
                FuseHandOver.start(session, store.get(), resend);
            }
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

    /**
     * The images are guarded by their modes and our own check of the caller either way; a parent only root may enter
     * keeps everyone else from even naming them. The parent is the caller's (the node agent makes its state
     * directory 0700), so it is not changed here.
     */
    private static void warnIfOthersMayEnter(Path parent) throws IOException {
        int mode = (Integer) Files.getAttribute(parent, "unix:mode");
        if ((mode & 0077) != 0) {
            LOG.warn(
                    "{} (mode {}) lets users other than root reach the FUSE mount below it; make it 0700",
                    parent,
                    String.format("%04o", mode & 07777));
        }
    }

    /** With a holder: /dev/fuse only (FUSE_NOTIFY_RESEND requeues requests of /dev/fuse descriptors only). */
    private static FuseTransport forHandOver(FuseTransport wanted) throws IOException {
        if (wanted == FuseTransport.URING) {
            throw new IOException("--fuse-transport uring cannot be used with --fd-holder: requests held by a dead "
                    + "process's io_uring entries are never sent again; use --fuse-transport dev or auto");
        }
        return FuseTransport.DEV;
    }

    /**
     * Takes over the connection of a dead or stopped predecessor from its store entry: checks that the mount point is
     * still a fuse.vdisk mount of the recorded connection, serves each recorded image whose backend {@code backends}
     * binds under its recorded inode (the others answer ESTALE), asks the kernel to send again what the predecessor
     * had read but not answered (FUSE_NOTIFY_RESEND), then starts one worker per received descriptor. RESEND comes
     * before the workers so that no request of ours can be requeued while we answer it. The entry's descriptors
     * belong to the session from here on (closed by it, even if this throws).
     */
    public static FuseSession adopt(
            FuseConfig config, DescriptorStore store, DescriptorStore.Entry entry, Map<String, BlockBackend> backends)
            throws IOException {
        return FuseHandOver.adopt(config, store, entry, backends, FuseHandOver::writeResend);
    }

    /** A session over a predecessor's descriptors, not yet serving ({@link FuseHandOver#adopt}). */
    static FuseSession adopted(FuseSessionRecord record, int[] fds) {
        FuseSession session = new FuseSession(record.mountPoint(), fds[0], FuseTransport.DEV, record.time());
        for (int i = 1; i < fds.length; i++) {
            session.workerFds.add(fds[i]);
        }
        session.maxWrite = record.maxWrite();
        session.connection = record.connection();
        session.initFlags = record.flags();
        session.initFlags2 = record.flags2();
        session.initOk = true;
        session.initDone.countDown();
        return session;
    }

    int mainFd() {
        return mainFd;
    }

    long connection() {
        return connection;
    }

    /** Marks the connection as kept by {@code holder} (it holds the entry already). */
    void heldBy(DescriptorStore holder) {
        store = holder;
    }

    ImageDirectory directory() {
        return directory;
    }

    /** Sets (null: clears) the holder and writes the current record into its entry. */
    void keepIn(DescriptorStore holder) throws IOException {
        store = holder;
        if (holder != null) {
            holder.update(FUSE_ENTRY, record().encode());
        }
    }

    void startWorkers(FuseConfig config, int[] fds) {
        for (int i = 0; i < fds.length; i++) {
            workers.add(Thread.ofPlatform()
                    .daemon()
                    .name("fuse-" + mountPoint.getFileName() + "-" + i)
                    .unstarted(new FuseWorker(fds[i], this, directory, config, arena, time)));
        }
        workers.forEach(Thread::start);
    }

    /** Every descriptor a worker reads: main first, then the clones. */
    int[] descriptors() {
        int[] fds = new int[1 + workerFds.size()];
        fds[0] = mainFd;
        for (int i = 0; i < workerFds.size(); i++) {
            fds[i + 1] = workerFds.get(i);
        }
        return fds;
    }

    FuseSessionRecord record() {
        synchronized (directory) {
            return new FuseSessionRecord(
                    mountPoint,
                    connection,
                    maxWrite,
                    initFlags,
                    initFlags2,
                    time,
                    directory.nextInode(),
                    directory.table());
        }
    }

    /** Counts a request the kernel sent again (a predecessor had read it and not answered). */
    void resent() {
        resentRequests.increment();
    }

    /** Requests answered that a predecessor had read but not answered (FUSE_NOTIFY_RESEND). */
    public long resentRequests() {
        return resentRequests.sum();
    }

    /** Whether the connection is kept by a descriptor holder (so {@link #close} hands over). */
    public boolean handsOver() {
        return store != null;
    }

    /** The worker's check before answering a request it has read; see {@link StopGate}. */
    StopGate gate() {
        return gate;
    }

    /** AUTO becomes URING if the kernel can (enabling it), else DEV; URING fails here if the kernel cannot. */
    private static FuseTransport resolve(FuseTransport wanted) throws IOException {
        if (wanted == FuseTransport.DEV) {
            return wanted;
        }
        try {
            UringSupport.enable();
            return FuseTransport.URING;
        } catch (IOException e) {
            if (wanted == FuseTransport.URING) {
                throw e;
            }
            LOG.warn("{}; serving FUSE over /dev/fuse instead", e.getMessage());
            return FuseTransport.DEV;
        }
    }

    private void start(FuseConfig config) throws IOException {
        int devWorkers = transport == FuseTransport.URING ? 1 : config.workers();
        try (Arena scratch = Arena.ofConfined()) {
            for (int i = 0; i < devWorkers; i++) {
                int fd = mainFd;
                if (config.cloneDevice() && i > 0) {
                    fd = Libc.checkedOpen("/dev/fuse", Libc.O_RDWR);
                    workerFds.add(fd);
                    MemorySegment arg = scratch.allocateFrom(JAVA_INT, mainFd);
                    Libc.checkedIoctl(fd, FuseProtocol.FUSE_DEV_IOC_CLONE, arg, "ioctl(FUSE_DEV_IOC_CLONE)");
                }
                Thread t = Thread.ofPlatform()
                        .daemon()
                        .name("fuse-" + mountPoint.getFileName() + "-" + i)
                        .unstarted(new FuseWorker(fd, this, directory, config, arena, time));
                workers.add(t);
            }
        }
        workers.forEach(Thread::start);
    }

    /**
     * Registers ring entries on every kernel queue, each queue served by {@code ringThreads} threads; returns once
     * all are registered (the kernel holds requests until then) or throws.
     */
    private void startRing(FuseConfig config) throws IOException, InterruptedException {
        if (!uringAccepted) {
            throw new IOException(
                    "FUSE over io_uring requested but the kernel did not offer FUSE_OVER_IO_URING in INIT "
                            + "(enable_uring was " + (UringSupport.enabled() ? "Y" : "N") + ")");
        }
        List<UringQueueWorker> ring = new ArrayList<>();
        int queues = UringSupport.possibleCpus();
        for (int q = 0; q < queues; q++) {
            for (int t = 0; t < config.ringThreads(); t++) {
                UringQueueWorker w = new UringQueueWorker(
                        mainFd, q, config.ringDepth(), this, directory, config, time, ringRequests);
                Thread thread = Thread.ofPlatform()
                        .daemon()
                        .name("fuse-" + mountPoint.getFileName() + "-q" + q + "-" + t)
                        .unstarted(w);
                workers.add(thread);
                ring.add(w);
                thread.start();
            }
        }
        for (UringQueueWorker w : ring) {
            try {
                w.registered.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IOException(
                        "FUSE over io_uring: registering ring entries failed: "
                                + e.getCause().getMessage(),
                        e.getCause());
            } catch (TimeoutException e) {
                throw new IOException("FUSE over io_uring: ring entries not registered within 10 s");
            }
        }
    }

    /** Called by the worker that answered INIT; {@code uring}: the reply advertised FUSE_OVER_IO_URING. */
    void initialized(boolean ok, boolean uring, int flags, int flags2) {
        initFlags = flags;
        initFlags2 = flags2;
        uringAccepted = uring;
        initOk = ok;
        initDone.countDown();
    }

    /** Whether INIT's reply is to advertise FUSE_OVER_IO_URING. */
    boolean wantsUring() {
        return transport == FuseTransport.URING;
    }

    /** The transport in use ({@link FuseTransport#AUTO} resolved). */
    public FuseTransport transport() {
        return transport;
    }

    /** Requests that arrived through io_uring entries since mount (0 with the /dev/fuse transport). */
    public long ringRequests() {
        return ringRequests.sum();
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** Where the image of {@code name} appears. */
    public Path imagePath(String name) {
        return mountPoint.resolve(name);
    }

    /**
     * Publishes a new image file; returns its path. With a holder, the record names the image (and its inode) before
     * the image becomes visible, so a successor never meets an inode it does not know.
     */
    public Path addImage(String name, BlockBackend backend) throws IOException {
        synchronized (directory) {
            DescriptorStore holder = store;
            if (holder != null) {
                Map<String, Long> table = directory.table();
                table.put(name, directory.nextInode());
                holder.update(
                        FUSE_ENTRY,
                        record().withImages(directory.nextInode() + 1, table).encode());
            }
            directory.add(name, backend);
        }
        return imagePath(name);
    }

    /** Removes an image file, then its line in the holder's record. The caller has detached whatever had it open. */
    public void removeImage(String name) throws IOException {
        if (directory.remove(name) != null) {
            invalidateEntry(name);
            DescriptorStore holder = store;
            if (holder != null) {
                holder.update(FUSE_ENTRY, record().encode());
            }
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
     *
     * <p>With a holder and at least one image: hands over instead ({@link StopGate}): nothing is unmounted, requests
     * in flight finish (up to 5 s), requests read after that stay unanswered for the successor, and the descriptors
     * and worker buffers are left to the process's exit (workers may still be blocked reading them). With a holder
     * and no image, unmounts as above and drops the entry.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        DescriptorStore holder = store;
        if (holder != null && !directory.list().isEmpty()) {
            int left = gate.close(DRAIN_MILLIS);
            if (left > 0) {
                LOG.warn(
                        "{} FUSE requests still in flight at {} after {} ms; the successor answers them again",
                        left,
                        mountPoint,
                        DRAIN_MILLIS);
            }
            LOG.info(
                    "handed FUSE connection {} at {} over to the descriptor holder ({} images); not unmounted",
                    connection,
                    mountPoint,
                    directory.list().size());
            return;
        }
        unmountAndStop();
        if (holder != null) {
            try {
                holder.drop(FUSE_ENTRY);
            } catch (IOException e) {
                LOG.warn("dropping the holder's entry of {} failed: {}", mountPoint, e.getMessage());
            }
        }
    }

    void closeDescriptors() {
        for (int fd : workerFds) {
            Libc.close(fd);
        }
        Libc.close(mainFd);
    }

    private void unmountAndStop() {
        if (MountTable.isMountPoint(mountPoint)) {
            int r = Libc.umount2(mountPoint.toString(), 0);
            if (r == Libc.EBUSY) {
                LOG.warn(
                        "{} is busy (an image is still open): detaching lazily and aborting the connection",
                        mountPoint);
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
        closeDescriptors();
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
