package dev.vdisk.node.handover;

import dev.vdisk.node.handover.HolderConnection.Answer;
import dev.vdisk.node.handover.HolderConnection.HolderRefusedException;
import dev.vdisk.node.handover.HolderProtocol.Op;
import dev.vdisk.node.handover.HolderProtocol.ProtocolException;
import dev.vdisk.node.handover.HolderProtocol.Status;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.UnixSockets;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's {@link DescriptorStore}: a {@link DescriptorHolder} reached over its socket, and a mirror of
 * every entry in this process (its own duplicates of the descriptors, and the records).
 *
 * <p>The mirror is this client's view of the store: it is filled from the holder when the client connects (what a
 * predecessor left), every change goes to the mirror and to the holder, and {@link #get} and {@link #names} answer
 * from the mirror. When the holder goes away (its socket closes, a call fails, or another file takes its path, where
 * a successor would look), a daemon thread
 * ({@code fd-holder-client}) connects again every second and makes the new holder hold exactly the mirror (puts
 * every entry, drops any other). Calls made while the holder is away succeed against the mirror and reach the
 * holder on reconnect: in that window the volumes are at risk only if this process dies too. One line is logged
 * when the holder is lost and one when its entries are restored.
 *
 * <p>Threading: every method and the reconnect thread hold this object's monitor while they touch the mirror or
 * the connection, so calls are serialized and a reconnect never interleaves with a call. The reconnect connects
 * to and lists the new holder before it takes the monitor, so a holder that is stuck delays only the watcher. A call waits at most
 * {@link HolderConnection#ANSWER_WAIT} for the holder; a holder that does not answer counts as gone.
 */
public final class HolderClient implements DescriptorStore {
    private static final Logger LOG = LoggerFactory.getLogger(HolderClient.class);
    private static final Duration RETRY = Duration.ofSeconds(1);

    /** A mirrored entry: descriptors owned by this client, and the record. */
    private record Mirrored(int[] fds, byte[] record) {}

    private final Path socket;
    private final TreeMap<String, Mirrored> mirror = new TreeMap<>();
    private final Thread watcher;
    private HolderConnection connection;
    private boolean closed;
    /** False only while a client started away has never reached a holder (for the log line); under the monitor. */
    private boolean reachedOnce;
    /**
     * Why the last reconnect failed other than "no holder there yet" (logged once per reason); null after a success.
     * Watcher thread only.
     */
    private String reconnectFailure;

    private HolderClient(Path socket, HolderConnection connection) {
        this.socket = socket;
        this.connection = connection;
        this.reachedOnce = connection != null;
        this.watcher = Thread.ofPlatform().daemon().name("fd-holder-client").unstarted(this::watch);
    }

    /**
     * Connects to the holder at {@code socket}, waiting up to {@code wait} for it to appear, and mirrors what it
     * holds; fails with a one-line message if no holder answers in time.
     */
    public static HolderClient connect(Path socket, Duration wait) throws IOException {
        HolderConnection connection = HolderConnection.openWaiting(socket, wait);
        HolderClient client = new HolderClient(socket, connection);
        try {
            synchronized (client) {
                client.pull(connection);
            }
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        client.watcher.start();
        LOG.info("fd holder at {}: connected, it holds {} entries", socket, client.mirror.size());
        return client;
    }

    /**
     * As {@link #connect}, but with no holder in time the client starts away instead of failing: it holds nothing, so
     * the agent's start finds nothing to adopt and mounts afresh (the wait bounds that decision), and its watcher
     * connects once a holder appears and makes it hold exactly what the agent put meanwhile. The away client never
     * takes entries from that holder: a holder that appears later is a new one and holds nothing, since one that held
     * a predecessor's entries would have answered within {@code wait}; and if one was up but stuck that long, the
     * fresh start has cleared what its entries describe (the old FUSE mount, the old loop devices), so they are
     * dropped rather than taken over.
     */
    public static HolderClient connectOrAway(Path socket, Duration wait) {
        try {
            return connect(socket, wait);
        } catch (IOException e) {
            HolderClient client = new HolderClient(socket, null);
            client.watcher.start();
            LOG.warn(
                    "{}; starting without it: volumes survive a restart of this process only once a holder is up"
                            + " (this agent's entries are put into it then)",
                    e.getMessage());
            return client;
        }
    }

    @Override
    public synchronized void put(String name, int[] fds, byte[] record) throws IOException {
        checkOpen();
        checkName(name);
        if (record.length > MAX_RECORD || fds.length > UnixSockets.MAX_FDS_PER_MESSAGE) {
            throw new IllegalArgumentException(
                    "entry " + name + ": " + fds.length + " descriptors and a " + record.length
                            + "-byte record; at most " + UnixSockets.MAX_FDS_PER_MESSAGE + " and " + MAX_RECORD);
        }
        int[] own = HolderProtocol.duplicateAll(fds);
        try {
            send(Op.PUT, name, record, own);
        } catch (IOException | RuntimeException e) {
            HolderProtocol.closeAll(own);
            throw e;
        }
        Mirrored old = mirror.put(name, new Mirrored(own, record.clone()));
        if (old != null) {
            HolderProtocol.closeAll(old.fds());
        }
    }

    @Override
    public synchronized void update(String name, byte[] record) throws IOException {
        checkOpen();
        Mirrored held = mirror.get(name);
        if (held == null) {
            throw new IOException("fd holder: no entry " + name + " to update; put it first");
        }
        if (record.length > MAX_RECORD) {
            throw new IllegalArgumentException(
                    "entry " + name + ": a " + record.length + "-byte record; at most " + MAX_RECORD);
        }
        if (send(Op.UPDATE, name, record, new int[0]) == Status.NOT_FOUND) {
            // the holder lost it (another client dropped it, or it refused it on a reconnect): the whole entry again
            LOG.warn("fd holder at {} did not hold {}; putting it again", socket, name);
            send(Op.PUT, name, record, held.fds());
        }
        mirror.put(name, new Mirrored(held.fds(), record.clone()));
    }

    @Override
    public synchronized Optional<Entry> get(String name) throws IOException {
        checkOpen();
        Mirrored held = mirror.get(name);
        if (held == null) {
            return Optional.empty();
        }
        int[] fds = HolderProtocol.duplicateAll(held.fds());
        return Optional.of(new Entry(fds, held.record()));
    }

    @Override
    public synchronized void drop(String name) throws IOException {
        checkOpen();
        send(Op.DROP, name, new byte[0], new int[0]);
        Mirrored held = mirror.remove(name);
        if (held != null) {
            HolderProtocol.closeAll(held.fds());
        }
    }

    @Override
    public synchronized List<String> names() {
        return List.copyOf(mirror.keySet());
    }

    /** True while connected to a holder (false in the window after it went away, until the reconnect). */
    public synchronized boolean connected() {
        return connection != null;
    }

    /** Closes the connection and this process's duplicates; the holder keeps what it holds. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (connection == null && !mirror.isEmpty()) {
                LOG.warn(
                        "fd holder at {} is away while the agent stops: {} entries are not held by anyone",
                        socket,
                        mirror.size());
            }
            if (connection != null) {
                connection.close();
                connection = null;
            }
            mirror.values().forEach(m -> HolderProtocol.closeAll(m.fds()));
            mirror.clear();
            notifyAll();
        }
        watcher.interrupt();
    }

    /**
     * Sends one change to the holder if connected; a broken connection makes it a mirror-only change. The answer's
     * status, or null when the holder was not reached.
     */
    private Status send(Op op, String name, byte[] body, int[] fds) throws IOException {
        if (connection == null) {
            return null;
        }
        try {
            Answer answer = connection.call(op, name, body, fds);
            HolderProtocol.closeAll(answer.fds());
            return answer.status();
        } catch (HolderRefusedException e) {
            throw e;
        } catch (IOException e) {
            lost(e);
            return null;
        }
    }

    /** Caller holds the monitor. */
    private void lost(IOException why) {
        if (connection != null) {
            connection.close();
            connection = null;
            LOG.warn(
                    "lost the fd holder at {} ({}); reconnecting every {} s; until then the volumes do not survive"
                            + " a restart of this process",
                    socket,
                    why.getMessage(),
                    RETRY.toSeconds());
        }
    }

    /** The watcher thread: notices a holder that went away while idle, and reconnects. */
    private void watch() {
        while (true) {
            try {
                Thread.sleep(RETRY);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (closed) {
                    return;
                }
                try {
                    if (connection != null && connection.brokenWhileIdle()) {
                        lost(new IOException("the holder closed the connection"));
                    } else if (connection != null && connection.replacedAtPath()) {
                        lost(new IOException(socket + " is no longer this holder's socket: a successor could not"
                                + " reach what it holds"));
                    }
                } catch (IOException e) {
                    lost(e);
                }
                if (connection != null) {
                    continue;
                }
            }
            reconnect();
        }
    }

    /**
     * Watcher thread, without the monitor: connects and lists what the holder holds, so that a holder that accepts
     * but does not answer costs this thread up to {@link HolderConnection#ANSWER_WAIT}, never the agent's calls;
     * then, holding the monitor, makes it hold exactly the mirror. A failure other than "no holder there yet" is
     * logged once per reason.
     */
    private void reconnect() {
        HolderConnection fresh;
        try {
            fresh = HolderConnection.open(socket);
        } catch (ErrnoException e) {
            return; // not back yet
        } catch (IOException e) {
            reconnectFailed(e);
            return;
        }
        try {
            List<String> held = fresh.names();
            synchronized (this) {
                if (closed) {
                    fresh.close();
                    return;
                }
                restore(fresh, held);
            }
        } catch (IOException | RuntimeException e) {
            fresh.close();
            reconnectFailed(e);
        }
    }

    /** Caller holds the monitor. Drops what {@code fresh} holds that the mirror has not, puts every mirrored entry. */
    private void restore(HolderConnection fresh, List<String> held) throws IOException {
        for (String name : held) {
            if (!mirror.containsKey(name)) {
                fresh.call(Op.DROP, name, new byte[0], new int[0]);
            }
        }
        int restored = 0;
        for (var entry : mirror.entrySet()) {
            try {
                fresh.call(
                        Op.PUT,
                        entry.getKey(),
                        entry.getValue().record(),
                        entry.getValue().fds());
                restored++;
            } catch (HolderRefusedException e) {
                LOG.error("fd holder at {} refused entry {} on reconnect: {}", socket, entry.getKey(), e.getMessage());
            }
        }
        connection = fresh;
        reconnectFailure = null;
        LOG.info(
                "fd holder at {} is {}: restored {} of {} entries",
                socket,
                reachedOnce ? "back" : "up",
                restored,
                mirror.size());
        reachedOnce = true;
    }

    /** Watcher thread only (as is {@link #reconnectFailure}). */
    private void reconnectFailed(Exception e) {
        String why = String.valueOf(e.getMessage());
        if (!why.equals(reconnectFailure)) {
            reconnectFailure = why;
            LOG.warn(
                    "cannot reconnect to the fd holder at {}: {}; retrying every {} s", socket, why, RETRY.toSeconds());
        }
    }

    /** Caller holds the monitor. Fills the mirror with what the holder holds (at connect: a predecessor's entries). */
    private void pull(HolderConnection from) throws IOException {
        for (String name : from.names()) {
            Answer answer = from.call(Op.GET, name, new byte[0], new int[0]);
            if (answer.status() == Status.OK) {
                mirror.put(name, new Mirrored(answer.fds(), answer.frame().body()));
            } else {
                HolderProtocol.closeAll(answer.fds());
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("fd holder client for " + socket + " is closed");
        }
    }

    private static void checkName(String name) {
        try {
            HolderProtocol.checkName(name, false);
        } catch (ProtocolException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }
}
