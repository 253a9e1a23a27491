package dev.vdisk.node.handover;

import dev.vdisk.node.handover.HolderProtocol.Frame;
import dev.vdisk.node.handover.HolderProtocol.Op;
import dev.vdisk.node.handover.HolderProtocol.ProtocolException;
import dev.vdisk.node.handover.HolderProtocol.Status;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.UnixSockets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection to a descriptor holder: a request, then its answer, one at a time. Not thread-safe: the owner
 * ({@link HolderClient}) serializes calls. Any {@link IOException} but {@link HolderRefusedException} means the
 * connection is broken and must be closed. Logs nothing (a probe running as another user loads only this).
 */
final class HolderConnection implements AutoCloseable {
    /** How long an answer may take; the holder answers at once unless it is stuck. */
    static final Duration ANSWER_WAIT = Duration.ofSeconds(10);

    /** The holder answered ERROR: the request was refused, the connection is still good (unless it was a refusal of the peer). */
    static final class HolderRefusedException extends IOException {
        HolderRefusedException(String message) {
            super(message);
        }
    }

    /** An answer and the descriptors it brought (the caller's). */
    record Answer(Status status, Frame frame, int[] fds) {}

    private final int fd;
    private final Path socket;
    /** The dev/inode of the socket file when this connection was made (null if unreadable). */
    private final Object socketKey;

    private HolderConnection(int fd, Path socket, Object socketKey) {
        this.fd = fd;
        this.socket = socket;
        this.socketKey = socketKey;
    }

    /**
     * Connects; ENOENT or ECONNREFUSED (no holder there now) and EAGAIN (a holder that is not accepting: its backlog
     * is full) are {@link ErrnoException}s with that errno. Non-blocking, like every send: a stuck holder must never
     * block the agent's thread, which holds {@link HolderClient}'s monitor. A holder of another uid is refused
     * (an {@link IOException}): it would get the agent's /dev/fuse descriptors, i.e. every volume's data.
     */
    static HolderConnection open(Path socket) throws IOException {
        int fd = UnixSockets.seqpacket(true);
        try {
            UnixSockets.connect(fd, socket);
            int holderUid = UnixSockets.peer(fd).uid();
            int own = Libc.geteuid();
            if (holderUid != own) {
                throw new IOException("fd holder at " + socket + " runs as uid " + holderUid + ", not as this process's"
                        + " uid " + own + "; refusing to hand it descriptors (who can write to " + socket.getParent()
                        + "?)");
            }
            return new HolderConnection(fd, socket, fileKey(socket));
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * As {@link #open}, waiting up to {@code wait} for a holder to appear; fails with a one-line message if none
     * answers in time.
     */
    static HolderConnection openWaiting(Path socket, Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                return open(socket);
            } catch (ErrnoException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new IOException("no fd holder at " + socket + " after " + wait.toSeconds() + " s ("
                            + e.getMessage() + "); start it with: vdisk-csi fd-holder --socket " + socket);
                }
                try {
                    Thread.sleep(Duration.ofMillis(100));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the fd holder");
                }
            }
        }
    }

    /** The names of every entry the holder holds, asked page by page (LIST with a cursor). */
    List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        String cursor = "";
        while (true) {
            Answer answer = call(Op.LIST, cursor, new byte[0], new int[0]);
            String body = answer.frame().bodyText();
            if (!body.isEmpty()) {
                names.addAll(List.of(body.split("\n")));
            }
            if (answer.status() != Status.MORE || names.isEmpty()) {
                return names;
            }
            cursor = names.getLast();
        }
    }

    /** Sends {@code op name body fds} and waits for the answer; an ERROR answer is a {@link HolderRefusedException}. */
    Answer call(Op op, String name, byte[] body, int[] fds) throws IOException {
        try {
            UnixSockets.send(fd, HolderProtocol.encode(op.code, name, body), fds, true);
        } catch (ErrnoException e) {
            // a holder that refused us at accept has said why before closing: report that, not EPIPE
            if (readable(0)) {
                answer();
            }
            // EAGAIN: its queue is full though we wait for each answer, so it reads nothing: stuck
            throw new IOException("fd holder at " + socket + " is gone or stuck: " + e.getMessage(), e);
        }
        if (!readable(ANSWER_WAIT.toMillis())) {
            throw new IOException("fd holder at " + socket + " did not answer " + op + " " + name + " within "
                    + ANSWER_WAIT.toSeconds() + " s");
        }
        return answer();
    }

    /** True when the holder closed this connection or sent something unasked (it never does while healthy). */
    boolean brokenWhileIdle() throws ErrnoException {
        return readable(0);
    }

    /**
     * True when the file at the socket's path is no longer the one this connection was made through (replaced by
     * another holder's, or removed): the holder at the other end lives on, but no successor of this process can
     * reach what it holds.
     */
    boolean replacedAtPath() {
        return socketKey != null && !socketKey.equals(fileKey(socket));
    }

    private static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Waits up to {@code millis} for the socket to be readable; a signal (EINTR) is not the end of the wait. */
    private boolean readable(long millis) throws ErrnoException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            if (UnixSockets.poll(new int[] {fd}, (int) millis)[0] != 0) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            millis = (left + 999_999) / 1_000_000;
        }
    }

    private Answer answer() throws IOException {
        UnixSockets.Received in;
        try {
            in = receive();
        } catch (ErrnoException e) {
            if (e.errno() != UnixSockets.ECONNRESET) {
                throw new IOException("fd holder at " + socket + " is gone: " + e.getMessage(), e);
            }
            // the holder closed with our request unread (it refused us at accept): its answer may still be queued
            try {
                in = receive();
            } catch (ErrnoException again) {
                throw new IOException("fd holder at " + socket + " is gone: " + e.getMessage(), e);
            }
        }
        if (in.closed()) {
            throw new IOException("fd holder at " + socket + " closed the connection");
        }
        try {
            if (in.truncated() || in.controlTruncated()) {
                throw new ProtocolException("answer larger than the protocol allows");
            }
            Frame frame = HolderProtocol.decode(in.data());
            Status status = Status.of(frame.code());
            if (status == Status.ERROR) {
                HolderProtocol.closeAll(in.fds());
                throw new HolderRefusedException("fd holder: " + frame.bodyText());
            }
            return new Answer(status, frame, in.fds());
        } catch (ProtocolException e) {
            HolderProtocol.closeAll(in.fds());
            throw new IOException("fd holder at " + socket + " sent a bad answer: " + e.getMessage());
        }
    }

    private UnixSockets.Received receive() throws ErrnoException {
        return UnixSockets.receive(fd, HolderProtocol.MAX_MESSAGE, UnixSockets.MAX_FDS_PER_MESSAGE, true);
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
