package dev.vdisk.node.handover;

import dev.vdisk.node.handover.HeldEntries.Reply;
import dev.vdisk.node.handover.HolderProtocol.Frame;
import dev.vdisk.node.handover.HolderProtocol.ProtocolException;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.UnixSockets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The holder process's server ({@code vdisk-csi fd-holder}): keeps the descriptors agents put, and gives them to
 * whoever asks, over {@link HolderProtocol} on a unix socket.
 *
 * <p>Who may talk to it: only its own uid. The socket is 0600 in a 0700 directory that its uid owns (created if
 * missing, refused if anyone else may enter it), and each accepted peer's SO_PEERCRED uid is checked as well:
 * a peer with another uid gets one ERROR answer and is disconnected.
 *
 * <p>Threading: one thread ({@code fd-holder}) does everything: poll(2) over the listening socket, an eventfd
 * that {@link #close} signals, and every connection, all non-blocking; it owns the table ({@link HeldEntries}) and
 * the connections. Each request is answered in full (the descriptors it brought are in the table) before the next
 * is read. An answer is sent without waiting: a client whose socket buffer is full (it sends without reading its
 * answers) is disconnected, so a slow or stuck client never holds up the others. A request whose handling throws
 * (a bug, the heap exhausted) costs only its connection; if serving stops anyway, {@link #awaitServingEnd} says why.
 */
public final class DescriptorHolder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DescriptorHolder.class);

    /**
     * Bounds: entries in the table, descriptors per entry (the kernel's per-message limit is 253), connections at
     * once (more are refused until one closes), and the bytes of all records together (so that the heap the holder
     * needs is bounded: a put beyond it is refused, the holder keeps serving).
     */
    public record Limits(int maxEntries, int maxFds, int maxConnections, long maxRecordBytes) {
        /** 16 MiB of records: 256 full-size (64 KiB) records, far more than a node's volumes need. */
        public static final long DEFAULT_RECORD_BYTES = 16L << 20;

        public static final Limits DEFAULT = new Limits(4096, UnixSockets.MAX_FDS_PER_MESSAGE, 64);

        public Limits {
            if (maxEntries < 1
                    || maxFds < 1
                    || maxFds > UnixSockets.MAX_FDS_PER_MESSAGE
                    || maxConnections < 1
                    || maxRecordBytes < 0) {
                throw new IllegalArgumentException("holder limits out of range: " + maxEntries + " entries, " + maxFds
                        + " fds (1.." + UnixSockets.MAX_FDS_PER_MESSAGE + "), " + maxConnections + " connections, "
                        + maxRecordBytes + " record bytes");
            }
        }

        public Limits(int maxEntries, int maxFds, int maxConnections) {
            this(maxEntries, maxFds, maxConnections, DEFAULT_RECORD_BYTES);
        }
    }

    private final HolderSocket socket;

    private final Limits limits;
    private final int listenFd;
    private final int wakeFd;
    private final HeldEntries entries;
    /** Connection fd to how log lines name the peer; serving thread only. */
    private final Map<Integer, String> connections = new LinkedHashMap<>();

    private final Thread thread;
    private volatile boolean stopping;
    /** Why serving stopped by itself (null while serving, or after {@link #close}); set by the serving thread. */
    private volatile String failure;
    /** errno of the last failed accept, 0 after a success (logged once per failure); serving thread only. */
    private int acceptFailure;

    private DescriptorHolder(HolderSocket socket, Limits limits, int wakeFd, HeldEntries entries) {
        this.socket = socket;
        this.limits = limits;
        this.listenFd = socket.listenFd();
        this.wakeFd = wakeFd;
        this.entries = entries;
        this.thread = Thread.ofPlatform().name("fd-holder").unstarted(this::serve);
    }

    /**
     * Binds {@code socket} (0600, directory 0700; a stale socket left by a dead holder is replaced) and starts
     * serving on a thread of its own.
     */
    public static DescriptorHolder start(Path socket, Limits limits) throws IOException {
        return start(socket, limits, new HeldEntries(limits));
    }

    /** As {@link #start(Path, Limits)}, with the table given (a test's, that fails on purpose). */
    static DescriptorHolder start(Path socket, Limits limits, HeldEntries entries) throws IOException {
        HolderSocket bound = HolderSocket.bind(socket);
        int wakeFd;
        try {
            wakeFd = UnixSockets.eventfd();
        } catch (IOException | RuntimeException e) {
            Libc.close(bound.listenFd());
            throw e;
        }
        DescriptorHolder holder = new DescriptorHolder(bound, limits, wakeFd, entries);
        holder.thread.start();
        LOG.info(
                "fd holder serving on {} (at most {} entries, {} fds each, {} bytes of records)",
                bound.path(),
                limits.maxEntries(),
                limits.maxFds(),
                limits.maxRecordBytes());
        return holder;
    }

    public Path socket() {
        return socket.path();
    }

    /** The wake-up eventfd's number, for a test that checks it stays open until {@link #close}. */
    int wakeFd() {
        return wakeFd;
    }

    /**
     * Blocks until serving ends: empty once {@link #close} stopped it, else why it stopped by itself (what it held is
     * released then, and the process had better exit so that its supervisor restarts it).
     */
    public Optional<String> awaitServingEnd() throws InterruptedException {
        thread.join();
        return Optional.ofNullable(failure);
    }

    /**
     * Removes the socket, then stops serving and closes every descriptor held: what it held is let go. The socket goes
     * first, and only if it is still the one this holder published: once this holder stops listening, a successor
     * may replace the path (a socket nobody listens on is stale), and its socket must not be removed by this one.
     */
    @Override
    public void close() {
        if (stopping) {
            return;
        }
        socket.removeIfOurs();
        stopping = true;
        UnixSockets.signal(wakeFd);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // closed here, not by the serving thread: until the join, this method may still signal it, and a number
        // closed earlier could by then be another file's (interrupted: the thread may still poll it, so it stays)
        if (!thread.isAlive()) {
            Libc.close(wakeFd);
        }
        LOG.info("fd holder stopped; released what it held");
    }

    /** The serving thread's loop. */
    private void serve() {
        try {
            while (!stopping) {
                List<Integer> open = new ArrayList<>(connections.keySet());
                int[] fds = new int[open.size() + 2];
                fds[0] = wakeFd;
                fds[1] = listenFd;
                for (int i = 0; i < open.size(); i++) {
                    fds[i + 2] = open.get(i);
                }
                short[] ready = UnixSockets.poll(fds, -1);
                if (ready[1] != 0) {
                    acceptAllGuarded();
                }
                for (int i = 0; i < open.size(); i++) {
                    if (ready[i + 2] != 0) {
                        serveGuarded(open.get(i));
                    }
                }
            }
        } catch (ErrnoException | RuntimeException | Error e) {
            failure = String.valueOf(e);
            LOG.error("fd holder: serving stopped: {}; what it held is released", failure);
        } finally {
            connections.keySet().forEach(Libc::close);
            connections.clear();
            entries.close();
            Libc.close(listenFd);
        }
    }

    /**
     * One request whose handling fails unexpectedly (a bug, or the heap exhausted) costs its connection only: ending
     * the serving thread would release everything held, in a process that keeps running.
     */
    private void serveGuarded(int fd) {
        try {
            serveOne(fd);
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.error(
                    "fd holder: dropping the connection of {}: its request failed: {}",
                    connections.get(fd),
                    String.valueOf(e));
            if (connections.containsKey(fd)) {
                disconnect(fd);
            }
        }
    }

    private void acceptAllGuarded() {
        try {
            acceptAll();
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.error("fd holder: accepting connections failed, retrying in 100 ms: {}", String.valueOf(e));
            pause(); // a listener that stays readable must not spin
        }
    }

    /**
     * Accepts every waiting connection. A failed accept (e.g. EMFILE: out of descriptors) must not stop the holder,
     * which would release everything: it is logged once and retried after a pause, so that a listener that stays
     * readable does not spin.
     */
    private void acceptAll() {
        while (true) {
            int fd;
            try {
                fd = UnixSockets.accept(listenFd);
                acceptFailure = 0;
            } catch (ErrnoException e) {
                if (acceptFailure != e.errno()) {
                    LOG.error("fd holder: cannot accept connections: {}; retrying every 100 ms", e.getMessage());
                    acceptFailure = e.errno();
                }
                pause();
                return;
            }
            if (fd < 0) {
                return;
            }
            UnixSockets.PeerCredentials peer;
            try {
                peer = UnixSockets.peer(fd);
            } catch (ErrnoException e) {
                LOG.warn("fd holder: closing a connection whose peer is unknown: {}", e.getMessage());
                Libc.close(fd);
                continue;
            }
            String name = "pid " + peer.pid() + " uid " + peer.uid();
            int own = Libc.geteuid();
            if (peer.uid() != own) {
                refuseAndClose(fd, name, "refused: peer uid " + peer.uid() + " is not the holder's uid " + own);
            } else if (connections.size() >= limits.maxConnections()) {
                refuseAndClose(fd, name, "refused: " + limits.maxConnections() + " connections are open already");
            } else {
                connections.put(fd, name);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void refuseAndClose(int fd, String peer, String why) {
        LOG.warn("fd holder: {} ({})", why, peer);
        try {
            UnixSockets.send(fd, HolderProtocol.error(why), new int[0], true);
        } catch (ErrnoException e) {
            // the peer is gone already: nothing to tell
        }
        Libc.close(fd);
    }

    /** Reads one request from a readable connection and answers it; a closed or broken one is dropped. */
    private void serveOne(int fd) {
        String peer = connections.get(fd);
        UnixSockets.Received in;
        try {
            in = UnixSockets.receive(fd, HolderProtocol.MAX_MESSAGE, limits.maxFds(), true);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.EAGAIN) {
                disconnect(fd);
            }
            return;
        }
        if (in.closed()) {
            disconnect(fd);
            return;
        }
        Reply reply;
        if (in.truncated() || in.controlTruncated()) {
            HolderProtocol.closeAll(in.fds());
            reply = entries.refuse(
                    peer,
                    in.truncated()
                            ? "message larger than " + HolderProtocol.MAX_MESSAGE + " bytes (records are at most "
                                    + DescriptorStore.MAX_RECORD + ")"
                            : "descriptors cut: more than " + limits.maxFds()
                                    + " in one request, or the holder is out of" + " descriptors (RLIMIT_NOFILE)");
        } else {
            try {
                Frame frame = HolderProtocol.decode(in.data());
                reply = entries.handle(frame, in.fds(), peer);
            } catch (ProtocolException e) {
                HolderProtocol.closeAll(in.fds());
                reply = entries.refuse(peer, e.getMessage());
            } catch (RuntimeException | OutOfMemoryError e) {
                if (!entries.holdsAny(in.fds())) {
                    HolderProtocol.closeAll(in.fds());
                }
                throw e;
            }
        }
        try {
            UnixSockets.send(fd, reply.message(), reply.fds(), true);
        } catch (ErrnoException e) {
            if (e.errno() == Libc.EAGAIN) {
                LOG.warn("fd holder: disconnecting {}: it does not read its answers", peer);
            }
            disconnect(fd);
        }
    }

    private void disconnect(int fd) {
        connections.remove(fd);
        Libc.close(fd);
    }
}
