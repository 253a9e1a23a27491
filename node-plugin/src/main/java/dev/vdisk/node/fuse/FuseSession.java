package dev.vdisk.node.fuse;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.sys.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * <p>Threading: the serving threads are {@link FuseThreads}', confined to their own buffers. Control methods
 * ({@link #addImage}, {@link #removeImage}, {@link #imageResized}, {@link #close}) may be called from any thread
 * except a serving one; notifications go through the {@link FuseNotifier}, one at a time. The mount point is
 * readied and unmounted by {@link FuseMountPoint}, the connection aborted through {@link Fusectl}.
 *
 * <p>Hand-over ({@code docs/architecture/restarts.md}): mounted with a {@link DescriptorStore}, the session runs
 * over /dev/fuse (io_uring entries of a dead process would strand their requests), probes FUSE_NOTIFY_RESEND right
 * after INIT (an older kernel answers EINVAL: the session then runs without hand-over), puts every worker descriptor
 * into the store's {@link #FUSE_ENTRY} entry with a {@link FuseSessionRecord}, and updates the record before an
 * image becomes visible and after one is removed. {@link #adopt} takes such an entry over in a new process;
 * {@link #close} then hands over instead of unmounting while an image exists ({@link StopGate}).
 */
public final class FuseSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
    /** The store entry holding the connection's descriptors. */
    public static final String FUSE_ENTRY = "fuse";
    /** How long a graceful hand-over waits for requests in flight. */
    private static final long DRAIN_MILLIS = 5_000;

    private final Path mountPoint;
    private final int mainFd;
    private final FuseThreads threads;
    private final FuseNotifier notifier;
    private final ImageDirectory directory = new ImageDirectory();
    private final CountDownLatch initDone = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final FuseTransport transport;
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
        this.threads = new FuseThreads(mountPoint.getFileName().toString(), mainFd);
        this.notifier = new FuseNotifier(mainFd);
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
        Path target = FuseMountPoint.prepare(mountPoint);
        FuseTransport transport = FuseTransport.choose(config.transport(), store.isPresent());
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
                session.connection = Fusectl.connectionId(target);
                LOG.info(
                        "mounted fuse.vdisk at {} (connection {}, io_uring: {} queues x {} threads x {} entries)",
                        target,
                        session.connection,
                        UringSupport.possibleCpus(),
                        config.ringThreads(),
                        config.ringDepth());
            } else {
                session.connection = Fusectl.connectionId(target);
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
        session.threads.adoptDescriptors(fds);
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
        threads.startWorkers(this, directory, config, time, fds);
    }

    /** Every descriptor a worker reads: main first, then the clones. */
    int[] descriptors() {
        return threads.descriptors();
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

    private void start(FuseConfig config) throws IOException {
        threads.startDev(this, directory, config, time, transport == FuseTransport.URING ? 1 : config.workers());
    }

    /** Registers ring entries on every kernel queue; returns once all are registered or throws. */
    private void startRing(FuseConfig config) throws IOException, InterruptedException {
        if (!uringAccepted) {
            throw new IOException(
                    "FUSE over io_uring requested but the kernel did not offer FUSE_OVER_IO_URING in INIT "
                            + "(enable_uring was " + (UringSupport.enabled() ? "Y" : "N") + ")");
        }
        threads.startRing(this, directory, config, time);
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
        return threads.ringRequests();
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
            notifier.invalidateEntry(name);
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
        notifier.invalidateAttributes(image.inode());
        long seen = Files.size(imagePath(name));
        if (seen != image.backend().size()) {
            throw new IOException("image " + name + " shows " + seen + " bytes after resize, backend has "
                    + image.backend().size());
        }
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
        threads.closeDescriptors();
    }

    private void unmountAndStop() {
        FuseMountPoint.unmount(mountPoint, connection);
        if (!threads.join(5_000)) {
            Fusectl.abort(connection);
            threads.join(5_000);
        }
        closeDescriptors();
        if (threads.stopped()) {
            threads.freeBuffers();
        } else {
            LOG.error("FUSE workers of {} did not stop; their buffers stay allocated", mountPoint);
        }
        LOG.info("unmounted {}", mountPoint);
    }
}
