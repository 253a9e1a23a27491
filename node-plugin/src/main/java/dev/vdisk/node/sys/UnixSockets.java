package dev.vdisk.node.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * AF_UNIX SOCK_SEQPACKET sockets that carry descriptors (SCM_RIGHTS), through FFM: the JDK's socket channels
 * cannot pass descriptors. Control path only: every call allocates in a confined arena.
 *
 * <p>Struct layouts are those of LP64 Linux, identical on x86_64 and aarch64: {@code struct msghdr} is 56 bytes
 * (name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48), {@code struct cmsghdr} 16 bytes
 * (len 0, level 8, type 12, data 16, each header aligned to 8), {@code struct ucred} 12 bytes (pid, uid, gid),
 * {@code struct sockaddr_un} 110 bytes (family, 108 bytes of path).
 */
public final class UnixSockets {
    /** The kernel's SCM_MAX_FD: the most descriptors one message can carry. */
    public static final int MAX_FDS_PER_MESSAGE = 253;

    public static final int EPIPE = 32, ECONNRESET = 104, ECONNREFUSED = 111;
    public static final short POLLIN = 1, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;
    private static final int AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1, SCM_RIGHTS = 1, SO_PEERCRED = 17;
    private static final int MSG_CTRUNC = 0x8,
            MSG_TRUNC = 0x20,
            MSG_DONTWAIT = 0x40,
            MSG_NOSIGNAL = 0x4000,
            MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int F_DUPFD_CLOEXEC = 1030, EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    private static final int SUN_PATH = 108, SOCKADDR_UN = 110, MSGHDR = 56, CMSGHDR = 16;

    private static final MethodHandle SOCKET =
            Libc.bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle BIND =
            Libc.bind("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle LISTEN =
            Libc.bind("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle ACCEPT4 =
            Libc.bind("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle CONNECT =
            Libc.bind("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle SENDMSG =
            Libc.bind("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle RECVMSG =
            Libc.bind("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle GETSOCKOPT = Libc.bind(
            "getsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), -1);
    private static final MethodHandle FCNTL =
            Libc.bind("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle POLL =
            Libc.bind("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
    private static final MethodHandle EVENTFD =
            Libc.bind("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);

    /** SO_PEERCRED of a connected socket: who was on the other side when it connected. */
    public record PeerCredentials(int pid, int uid, int gid) {}

    /** One message received: its bytes, the descriptors it carried (now ours), and whether either was cut. */
    public record Received(byte[] data, int[] fds, boolean truncated, boolean controlTruncated) {
        /** A SEQPACKET read of 0 bytes: the peer closed (our messages are never empty). */
        public boolean closed() {
            return data.length == 0 && fds.length == 0;
        }
    }

    private UnixSockets() {}

    /** socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC [| SOCK_NONBLOCK]). */
    public static int seqpacket(boolean nonBlocking) throws ErrnoException {
        try {
            int fd = (int) SOCKET.invokeExact(
                    Libc.captureState(), AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
            return check(fd, "socket(AF_UNIX, SOCK_SEQPACKET)");
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void bind(int fd, Path path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            check(
                    (int) BIND.invokeExact(Libc.captureState(), fd, address(arena, path), SOCKADDR_UN),
                    "bind(" + path + ")");
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void listen(int fd, int backlog) throws ErrnoException {
        try {
            check((int) LISTEN.invokeExact(Libc.captureState(), fd, backlog), "listen");
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** accept4 with SOCK_CLOEXEC | SOCK_NONBLOCK; -1 when nothing is waiting (EAGAIN) on a non-blocking listener. */
    public static int accept(int listenFd) throws ErrnoException {
        try {
            while (true) {
                int fd = (int) ACCEPT4.invokeExact(
                        Libc.captureState(),
                        listenFd,
                        MemorySegment.NULL,
                        MemorySegment.NULL,
                        SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd >= 0) {
                    return fd;
                }
                int errno = Libc.errno();
                if (errno == Libc.EAGAIN) {
                    return -1;
                }
                if (errno != Libc.EINTR && errno != Libc.ECONNABORTED) {
                    throw new ErrnoException("accept4", errno);
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void connect(int fd, Path path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            check(
                    (int) CONNECT.invokeExact(Libc.captureState(), fd, address(arena, path), SOCKADDR_UN),
                    "connect(" + path + ")");
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static PeerCredentials peer(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cred = arena.allocate(12, 4);
            MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 12);
            check(
                    (int) GETSOCKOPT.invokeExact(Libc.captureState(), fd, SOL_SOCKET, SO_PEERCRED, cred, len),
                    "getsockopt(SO_PEERCRED)");
            return new PeerCredentials(cred.get(JAVA_INT, 0), cred.get(JAVA_INT, 4), cred.get(JAVA_INT, 8));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** fcntl(F_DUPFD_CLOEXEC): a new descriptor of the same open file, at 3 or above. */
    public static int dup(int fd) throws ErrnoException {
        try {
            return check(
                    (int) FCNTL.invokeExact(Libc.captureState(), fd, F_DUPFD_CLOEXEC, 3),
                    "fcntl(F_DUPFD_CLOEXEC, " + fd + ")");
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A non-blocking eventfd: a descriptor another thread can make readable to wake a {@link #poll}. */
    public static int eventfd() throws ErrnoException {
        try {
            return check((int) EVENTFD.invokeExact(Libc.captureState(), 0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd");
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Adds 1 to an eventfd's counter (it becomes readable). */
    public static void signal(int eventFd) {
        try (Arena arena = Arena.ofConfined()) {
            Libc.write(eventFd, arena.allocateFrom(JAVA_LONG, 1L), 8);
        }
    }

    /**
     * poll(2) for POLLIN on each of {@code fds}; returns each one's revents (0: nothing), all 0 on timeout.
     * EINTR counts as a timeout (the caller loops).
     */
    public static short[] poll(int[] fds, int timeoutMillis) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(8L * fds.length, 4);
            for (int i = 0; i < fds.length; i++) {
                set.set(JAVA_INT, 8L * i, fds[i]);
                set.set(JAVA_SHORT, 8L * i + 4, POLLIN);
            }
            int r = (int) POLL.invokeExact(Libc.captureState(), set, (long) fds.length, timeoutMillis);
            if (r < 0 && Libc.errno() != Libc.EINTR) {
                throw new ErrnoException("poll", Libc.errno());
            }
            short[] revents = new short[fds.length];
            for (int i = 0; r > 0 && i < fds.length; i++) {
                revents[i] = set.get(JAVA_SHORT, 8L * i + 6);
            }
            return revents;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * sendmsg of one message with {@code fds} as SCM_RIGHTS (none: no control data), MSG_NOSIGNAL (a closed peer
     * is EPIPE, not a signal); MSG_DONTWAIT when {@code dontWait}.
     */
    public static void send(int fd, byte[] data, int[] fds, boolean dontWait) throws ErrnoException {
        if (fds.length > MAX_FDS_PER_MESSAGE) {
            throw new IllegalArgumentException(
                    fds.length + " descriptors in one message; the kernel takes at most " + MAX_FDS_PER_MESSAGE);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msg = message(arena, arena.allocateFrom(JAVA_BYTE, data), data.length, fds.length);
            if (fds.length > 0) {
                MemorySegment control = msg.get(ADDRESS, 32).reinterpret(controlSpace(fds.length));
                control.set(JAVA_LONG, 0, CMSGHDR + 4L * fds.length);
                control.set(JAVA_INT, 8, SOL_SOCKET);
                control.set(JAVA_INT, 12, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) {
                    control.set(JAVA_INT, CMSGHDR + 4L * i, fds[i]);
                }
            }
            int flags = MSG_NOSIGNAL | (dontWait ? MSG_DONTWAIT : 0);
            while (true) {
                long r = (long) SENDMSG.invokeExact(Libc.captureState(), fd, msg, flags);
                if (r >= 0) {
                    return;
                }
                if (Libc.errno() != Libc.EINTR) {
                    throw new ErrnoException("sendmsg", Libc.errno());
                }
            }
        } catch (ErrnoException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * recvmsg of one message of at most {@code maxBytes} bytes and {@code maxFds} descriptors (MSG_CMSG_CLOEXEC).
     * Descriptors received are the caller's even when the message was cut ({@link Received#truncated()}: more
     * bytes were sent; {@link Received#controlTruncated()}: more descriptors were sent, and the kernel closed
     * those that did not fit). EAGAIN (with {@code dontWait}) is an {@link ErrnoException}.
     */
    public static Received receive(int fd, int maxBytes, int maxFds, boolean dontWait) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(maxBytes);
            MemorySegment msg = message(arena, buffer, maxBytes, maxFds);
            int flags = MSG_CMSG_CLOEXEC | (dontWait ? MSG_DONTWAIT : 0);
            long r;
            while (true) {
                r = (long) RECVMSG.invokeExact(Libc.captureState(), fd, msg, flags);
                if (r >= 0) {
                    break;
                }
                if (Libc.errno() != Libc.EINTR) {
                    throw new ErrnoException("recvmsg", Libc.errno());
                }
            }
            int msgFlags = msg.get(JAVA_INT, 48);
            int[] fds = receivedFds(msg);
            byte[] data = buffer.asSlice(0, Math.min(r, maxBytes)).toArray(JAVA_BYTE);
            return new Received(data, fds, (msgFlags & MSG_TRUNC) != 0, (msgFlags & MSG_CTRUNC) != 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The descriptors of every SCM_RIGHTS header that recvmsg filled in. */
    private static int[] receivedFds(MemorySegment msg) {
        long length = msg.get(JAVA_LONG, 40);
        if (length == 0) {
            return new int[0];
        }
        MemorySegment control = msg.get(ADDRESS, 32).reinterpret(length);
        List<Integer> fds = new ArrayList<>();
        long offset = 0;
        while (offset + CMSGHDR <= length) {
            long len = control.get(JAVA_LONG, offset);
            if (len < CMSGHDR || offset + len > length) {
                break;
            }
            if (control.get(JAVA_INT, offset + 8) == SOL_SOCKET && control.get(JAVA_INT, offset + 12) == SCM_RIGHTS) {
                for (long at = offset + CMSGHDR; at + 4 <= offset + len; at += 4) {
                    fds.add(control.get(JAVA_INT, at));
                }
            }
            offset += align(len);
        }
        return fds.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A msghdr with one iovec over {@code data} and room for {@code fds} descriptors of control data. */
    private static MemorySegment message(Arena arena, MemorySegment data, long dataLength, int fds) {
        MemorySegment iov = arena.allocate(16, 8);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, 8, dataLength);
        MemorySegment msg = arena.allocate(MSGHDR, 8);
        msg.set(ADDRESS, 16, iov);
        msg.set(JAVA_LONG, 24, 1L);
        if (fds > 0) {
            msg.set(ADDRESS, 32, arena.allocate(controlSpace(fds), 8));
            msg.set(JAVA_LONG, 40, controlSpace(fds));
        }
        return msg;
    }

    /** CMSG_SPACE(4 * fds). */
    private static long controlSpace(int fds) {
        return CMSGHDR + align(4L * fds);
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }

    private static MemorySegment address(Arena arena, Path path) {
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SUN_PATH) {
            throw new IllegalArgumentException("socket path " + path + " is " + bytes.length
                    + " bytes; a unix socket path has at most " + (SUN_PATH - 1));
        }
        MemorySegment address = arena.allocate(SOCKADDR_UN, 2);
        address.set(JAVA_SHORT, 0, (short) AF_UNIX);
        address.asSlice(2, bytes.length).copyFrom(MemorySegment.ofArray(bytes));
        return address;
    }

    private static int check(int result, String call) throws ErrnoException {
        if (result < 0) {
            throw new ErrnoException(call, Libc.errno());
        }
        return result;
    }
}
