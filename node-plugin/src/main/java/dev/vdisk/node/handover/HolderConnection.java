package dev.vdisk.node.handover;

import dev.vdisk.node.handover.HolderProtocol.Frame;
import dev.vdisk.node.handover.HolderProtocol.Op;
import dev.vdisk.node.handover.HolderProtocol.ProtocolException;
import dev.vdisk.node.handover.HolderProtocol.Status;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.UnixSockets;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

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
    record Answer(Status status, Frame frame, int[] fds) {
    }

    private final int fd;
    private final Path socket;

    private HolderConnection(int fd, Path socket) {
        this.fd = fd;
        this.socket = socket;
    }

    /** Connects; ENOENT or ECONNREFUSED (no holder there now) are {@link ErrnoException}s with that errno. */
    static HolderConnection open(Path socket) throws ErrnoException {
        int fd = UnixSockets.seqpacket(false);
        try {
            UnixSockets.connect(fd, socket);
            return new HolderConnection(fd, socket);
        } catch (ErrnoException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Sends {@code op name body fds} and waits for the answer; an ERROR answer is a {@link HolderRefusedException}. */
    Answer call(Op op, String name, byte[] body, int[] fds) throws IOException {
        try {
            UnixSockets.send(fd, HolderProtocol.encode(op.code, name, body), fds, false);
        } catch (ErrnoException e) {
            // a holder that refused us at accept has said why before closing: report that, not EPIPE
            if (readable(0)) {
                answer();
            }
            throw new IOException("fd holder at " + socket + " is gone: " + e.getMessage(), e);
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

    private boolean readable(long millis) throws ErrnoException {
        return UnixSockets.poll(new int[] {fd}, (int) millis)[0] != 0;
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
