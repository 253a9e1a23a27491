package dev.vdisk.node.handover;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.handover.HolderConnection.HolderRefusedException;
import dev.vdisk.node.handover.HolderProtocol.Op;
import dev.vdisk.node.handover.HolderProtocol.Status;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.UnixSockets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The holder in this JVM, over its real socket: privacy of the socket, the table, and bad requests. */
class DescriptorHolderTest {
    @TempDir
    Path tmp;

    private Path socket;
    private DescriptorHolder holder;
    private final List<Integer> opened = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        socket = tmp.resolve("holder").resolve("holder.sock");
        holder = DescriptorHolder.start(socket, new DescriptorHolder.Limits(3, 2, 8));
    }

    @AfterEach
    void stop() {
        holder.close();
        opened.forEach(Libc::close);
    }

    private int[] pipe() throws Throwable {
        int[] fds = TestPipe.open();
        opened.add(fds[0]);
        opened.add(fds[1]);
        return fds;
    }

    @Test
    void socketIs0600InA0700Directory() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals(List.of(socket), Files.list(socket.getParent()).toList(), "no bind directory left behind");
        holder.close();
        assertFalse(Files.exists(socket), "the socket is removed at stop");
    }

    @Test
    void aStaleSocketIsReplacedAndAnOpenDirectoryRefused() throws Exception {
        IOException live =
                assertThrows(IOException.class, () -> DescriptorHolder.start(socket, DescriptorHolder.Limits.DEFAULT));
        assertTrue(live.getMessage().startsWith("another fd holder is serving " + socket), live.getMessage());
        holder.close();
        int stale = UnixSockets.seqpacket(false);
        UnixSockets.bind(stale, socket);
        Libc.close(stale);
        assertTrue(Files.exists(socket), "a closed socket leaves its file");
        holder = DescriptorHolder.start(socket, DescriptorHolder.Limits.DEFAULT);
        try (HolderClient client = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            assertEquals(List.of(), client.names());
        }

        Path open = Files.createDirectory(
                tmp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        IOException e = assertThrows(
                IOException.class,
                () -> DescriptorHolder.start(open.resolve("holder.sock"), DescriptorHolder.Limits.DEFAULT));
        assertTrue(e.getMessage().contains("mode 0700"), e.getMessage());
    }

    @Test
    void connectingWhereNoHolderServesFailsInOneLine() {
        Path nowhere = tmp.resolve("holder").resolve("none.sock");
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> HolderClient.connect(nowhere, Duration.ofMillis(300)));
        assertTrue(System.nanoTime() - start >= 300_000_000L, "it waited for the holder");
        assertTrue(e.getMessage().startsWith("no fd holder at " + nowhere + " after 0 s (connect("), e.getMessage());
        assertTrue(e.getMessage().endsWith("start it with: vdisk-csi fd-holder --socket " + nowhere), e.getMessage());
    }

    @Test
    void aHolderThatDoesNotAcceptHangsNeitherAClientNorASecondHolder() throws Exception {
        Path stuck = tmp.resolve("holder").resolve("stuck.sock");
        int listener = UnixSockets.seqpacket(false);
        opened.add(listener);
        UnixSockets.bind(listener, stuck);
        UnixSockets.listen(listener, 0);
        int first = UnixSockets.seqpacket(false);
        opened.add(first);
        UnixSockets.connect(first, stuck); // nobody accepts: the backlog of 0 is full now

        IOException e = assertTimeoutPreemptively(
                Duration.ofSeconds(5),
                () -> assertThrows(IOException.class, () -> HolderClient.connect(stuck, Duration.ofMillis(300))));
        assertTrue(e.getMessage().startsWith("no fd holder at " + stuck + " after 0 s"), e.getMessage());
        IOException live = assertTimeoutPreemptively(
                Duration.ofSeconds(5),
                () -> assertThrows(
                        IOException.class, () -> DescriptorHolder.start(stuck, DescriptorHolder.Limits.DEFAULT)));
        assertTrue(live.getMessage().startsWith("another fd holder is serving " + stuck), live.getMessage());
    }

    @Test
    void aStuckHolderDelaysNoCallOfTheAgent() throws Exception {
        try (HolderClient agent = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            holder.close();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (agent.connected() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(agent.connected(), "the client noticed that its holder stopped");
            int stuck = UnixSockets.seqpacket(false);
            opened.add(stuck);
            UnixSockets.bind(stuck, socket);
            UnixSockets.listen(stuck, 64); // a holder that accepts nothing and answers nothing
            Thread.sleep(1500); // the watcher is waiting for its answer now

            long start = System.nanoTime();
            agent.put("loop/pvc-1", new int[0], bytes("staged"));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 1000, "a put took " + millis + " ms while the watcher waited for a stuck holder");
            assertEquals(List.of("loop/pvc-1"), agent.names());
        }
    }

    @Test
    void aSignalWhileWaitingForAnAnswerIsNotATimeout() throws Throwable {
        Path slow = tmp.resolve("holder").resolve("slow.sock");
        int listener = UnixSockets.seqpacket(false);
        opened.add(listener);
        UnixSockets.bind(listener, slow);
        UnixSockets.listen(listener, 4);
        Thread.ofPlatform().daemon().start(() -> answerSlowly(listener));
        try (HolderClient agent = HolderClient.connect(slow, Duration.ofSeconds(2))) {
            int caller = ThreadSignal.currentTid();
            Thread signaller = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(300);
                    ThreadSignal.sigpipe(caller); // the JVM's SIGPIPE handler ignores it; poll(2) returns EINTR
                } catch (Throwable e) {
                    throw new AssertionError(e);
                }
            });
            agent.put("loop/pvc-1", new int[0], bytes("staged"));
            signaller.join();
            assertTrue(agent.connected(), "a signal during the wait made the client drop a holder that answered");
        }
    }

    /** A holder that answers OK to everything, all but the first request (the client's LIST) a second late. */
    private static void answerSlowly(int listener) {
        try {
            int fd = UnixSockets.accept(listener); // blocks: a blocking listener
            for (int n = 0; ; n++) {
                UnixSockets.poll(new int[] {fd}, -1);
                UnixSockets.Received in = UnixSockets.receive(fd, HolderProtocol.MAX_MESSAGE, 8, true);
                HolderProtocol.closeAll(in.fds());
                if (in.closed()) {
                    break;
                }
                if (n > 0) {
                    Thread.sleep(1000);
                }
                UnixSockets.send(fd, HolderProtocol.encode(Status.OK, "", new byte[0]), new int[0], false);
            }
            Libc.close(fd);
        } catch (Exception e) {
            // the test is over
        }
    }

    @Test
    void aStoppingHolderLeavesItsSuccessorsSocketAlone() throws Exception {
        // the successor took the path while this one was still stopping (its socket moved away stands for that)
        Files.move(socket, socket.resolveSibling("old.sock"));
        try (DescriptorHolder successor = DescriptorHolder.start(socket, DescriptorHolder.Limits.DEFAULT)) {
            holder.close();
            assertTrue(Files.exists(socket), "the successor's socket is still there");
            try (HolderClient client = HolderClient.connect(socket, Duration.ofSeconds(2))) {
                assertEquals(List.of(), client.names());
            }
        }
    }

    @Test
    void putGetUpdateDropThroughTheClient() throws Throwable {
        int[] pipe = pipe();
        try (HolderClient client = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            client.put("loop/pvc-1", new int[] {pipe[1]}, bytes("rec1"));
            client.update("loop/pvc-1", bytes("rec2"));
        }
        Libc.close(pipe[1]);
        opened.remove((Integer) pipe[1]);
        assertEquals("EAGAIN", TestPipe.read(pipe[0]), "the holder keeps the write end open");

        try (HolderClient client = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            assertEquals(List.of("loop/pvc-1"), client.names(), "a new client sees what the holder holds");
            DescriptorStore.Entry entry = client.get("loop/pvc-1").orElseThrow();
            assertArrayEquals(bytes("rec2"), entry.record());
            TestPipe.write(entry.fds()[0], "through the holder");
            Libc.close(entry.fds()[0]);
            assertEquals("through the holder", TestPipe.read(pipe[0]));
            client.drop("loop/pvc-1");
            assertTrue(client.get("loop/pvc-1").isEmpty());
        }
        assertEquals("EOF", TestPipe.read(pipe[0]), "a dropped entry's descriptors are closed by the holder");
        HolderRefusedException e = assertThrows(HolderRefusedException.class, () -> {
            try (HolderConnection c = HolderConnection.open(socket)) {
                c.call(Op.GET, "", new byte[0], new int[0]);
            }
        });
        assertEquals("fd holder: empty entry name", e.getMessage());
    }

    @Test
    void anUpdateOfAnEntryTheHolderLostPutsItAgain() throws Throwable {
        int[] pipe = pipe();
        try (HolderClient agent = HolderClient.connect(socket, Duration.ofSeconds(2));
                HolderClient other = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            agent.put("fuse", new int[] {pipe[1]}, bytes("images: a"));
            other.drop("fuse");
            agent.update("fuse", bytes("images: a, b"));
        }
        Libc.close(pipe[1]);
        opened.remove((Integer) pipe[1]);
        try (HolderClient successor = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            DescriptorStore.Entry fuse = successor
                    .get("fuse")
                    .orElseThrow(() -> new AssertionError("the holder does not hold the updated entry"));
            assertArrayEquals(bytes("images: a, b"), fuse.record());
            Libc.close(fuse.fds()[0]);
        }
        assertEquals("EAGAIN", TestPipe.read(pipe[0]), "the holder holds the descriptor again");
    }

    @Test
    void aClientMovesToTheHolderThatTookItsPath() throws Throwable {
        int[] pipe = pipe();
        try (HolderClient agent = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            agent.put("fuse", new int[] {pipe[1]}, bytes("session"));
            // the old holder lives on, but where no successor of the agent would look
            Files.move(socket, socket.resolveSibling("old.sock"));
            try (DescriptorHolder successor = DescriptorHolder.start(socket, DescriptorHolder.Limits.DEFAULT)) {
                long start = System.nanoTime();
                List<String> names = List.of();
                while (names.isEmpty()
                        && System.nanoTime() - start < Duration.ofSeconds(10).toNanos()) {
                    Thread.sleep(200);
                    try (HolderClient probe = HolderClient.connect(socket, Duration.ofSeconds(2))) {
                        names = probe.names();
                    }
                }
                assertEquals(List.of("fuse"), names, "the agent put its entries into the holder at its path");
                System.out.printf(
                        "entries moved to the new holder in %d ms%n", (System.nanoTime() - start) / 1_000_000);
            }
        }
    }

    @Test
    void aFullHolderRefusesNewEntriesAndKeepsServing() throws Throwable {
        int[] pipe = pipe();
        try (HolderClient client = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            for (int i = 0; i < 3; i++) {
                client.put("e" + i, new int[] {pipe[1]}, new byte[0]);
            }
            IOException e = assertThrows(
                    HolderRefusedException.class, () -> client.put("e3", new int[] {pipe[1]}, new byte[0]));
            assertTrue(e.getMessage().contains("the holder is full (3 entries)"), e.getMessage());
            assertEquals(List.of("e0", "e1", "e2"), client.names());
            client.put("e0", new int[0], bytes("replaced"));
            assertArrayEquals(bytes("replaced"), client.get("e0").orElseThrow().record());
        }
    }

    @Test
    void badRequestsGetOneLineAndTheHolderKeepsServing() throws Throwable {
        int[] pipe = pipe();
        int fd = UnixSockets.seqpacket(false);
        opened.add(fd);
        UnixSockets.connect(fd, socket);

        assertEquals(
                "unknown op 9 (this holder knows PUT 1, UPDATE 2, GET 3, DROP 4, LIST 5)",
                error(rawCall(fd, HolderProtocol.encode(9, "x", new byte[0]), new int[0])));

        byte[] oversized = ByteBuffer.allocate(HolderProtocol.HEADER + 1 + DescriptorStore.MAX_RECORD + 1)
                .put((byte) 1)
                .put((byte) Op.PUT.code)
                .putShort((short) 1)
                .putInt(DescriptorStore.MAX_RECORD + 1)
                .put((byte) 'x')
                .array();
        assertEquals("record of 65537 bytes; at most 65536", error(rawCall(fd, oversized, new int[0])));
        assertEquals(
                "message larger than 65799 bytes (records are at most 65536)",
                error(rawCall(fd, new byte[70_000], new int[0])));

        int[] three = {UnixSockets.dup(pipe[1]), UnixSockets.dup(pipe[1]), UnixSockets.dup(pipe[1])};
        String tooMany = error(rawCall(fd, HolderProtocol.encode(Op.PUT.code, "x", new byte[0]), three));
        assertEquals(
                "descriptors cut: more than 2 in one request, or the holder is out of descriptors (RLIMIT_NOFILE)",
                tooMany);
        HolderProtocol.closeAll(three);
        Libc.close(pipe[1]);
        opened.remove((Integer) pipe[1]);
        assertEquals("EOF", TestPipe.read(pipe[0]), "the holder closed the descriptors of the refused request");

        assertEquals(
                "protocol version 7 is not spoken here (only 1)",
                error(rawCall(fd, new byte[] {7, 3, 0, 0, 0, 0, 0, 0}, new int[0])));
        assertEquals(
                "GET carries no descriptors, got 1",
                error(rawCall(fd, HolderProtocol.encode(Op.GET.code, "x", new byte[0]), new int[] {fd})));

        UnixSockets.Received fine = rawCall(fd, HolderProtocol.encode(Op.GET.code, "x", new byte[0]), new int[0]);
        assertEquals(Status.NOT_FOUND.code, HolderProtocol.decode(fine.data()).code(), "the connection still serves");

        try (HolderClient client = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> client.put("big", new int[0], new byte[DescriptorStore.MAX_RECORD + 1]));
            assertEquals("entry big: 0 descriptors and a 65537-byte record; at most 253 and 65536", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> client.put("many", new int[254], new byte[0]));
        }
    }

    @Test
    void aClientStartedAwayPutsItsEntriesWhenAHolderAppears() throws Throwable {
        int[] pipe = pipe();
        Path later = tmp.resolve("later").resolve("holder.sock");
        long start = System.nanoTime();
        try (HolderClient agent = HolderClient.connectOrAway(later, Duration.ofMillis(300))) {
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waited >= 300 && waited < 3000, "waited " + waited + " ms for the holder, a bounded wait");
            assertFalse(agent.connected());
            assertEquals(Optional.empty(), agent.get("fuse"), "nothing to take over: the agent mounts afresh");
            agent.put("fuse", new int[] {pipe[1]}, bytes("session"));
            agent.put("loop/pvc-1", new int[0], bytes("loop"));
            try (DescriptorHolder appeared = DescriptorHolder.start(later, DescriptorHolder.Limits.DEFAULT)) {
                long up = System.nanoTime();
                while (!agent.connected()
                        && System.nanoTime() - up < Duration.ofSeconds(5).toNanos()) {
                    Thread.sleep(50);
                }
                assertTrue(agent.connected(), "the client connected to the holder that appeared");
                System.out.printf(
                        "entries put %d ms after the holder appeared%n", (System.nanoTime() - up) / 1_000_000);
                agent.update("fuse", bytes("session, image a"));
                try (HolderClient successor = HolderClient.connect(later, Duration.ofSeconds(2))) {
                    assertEquals(List.of("fuse", "loop/pvc-1"), successor.names());
                    DescriptorStore.Entry fuse = successor.get("fuse").orElseThrow();
                    assertArrayEquals(bytes("session, image a"), fuse.record());
                    TestPipe.write(fuse.fds()[0], "through the late holder");
                    Libc.close(fuse.fds()[0]);
                }
                assertEquals("through the late holder", TestPipe.read(pipe[0]));
            }
        }
    }

    /** A table whose requests for some names fail the way a bug, an exhausted heap or worse would. */
    private static final class FailingEntries extends HeldEntries {
        FailingEntries(DescriptorHolder.Limits limits) {
            super(limits);
        }

        @Override
        Reply handle(HolderProtocol.Frame request, int[] fds, String peer) {
            return switch (request.name()) {
                case "bug" -> throw new IllegalStateException("a bug");
                case "oom" -> throw new OutOfMemoryError("Java heap space");
                case "fatal" -> throw new StackOverflowError();
                default -> super.handle(request, fds, peer);
            };
        }
    }

    private DescriptorHolder startFailing() throws IOException {
        DescriptorHolder.Limits limits = new DescriptorHolder.Limits(3, 2, 8);
        return DescriptorHolder.start(
                tmp.resolve("failing").resolve("holder.sock"), limits, new FailingEntries(limits));
    }

    /** Sends {@code name}'s request on a connection of its own; true if the holder closed it instead of answering. */
    private boolean dropped(Path at, Op op, String name, int[] fds) throws Exception {
        int fd = UnixSockets.seqpacket(false);
        try {
            UnixSockets.connect(fd, at);
            UnixSockets.send(fd, HolderProtocol.encode(op.code, name, new byte[0]), fds, false);
            UnixSockets.Received answer = UnixSockets.receive(fd, HolderProtocol.MAX_MESSAGE, 8, false);
            HolderProtocol.closeAll(answer.fds());
            return answer.closed();
        } catch (ErrnoException e) {
            if (e.errno() != UnixSockets.ECONNRESET) {
                throw e;
            }
            return true; // closed with the request unread
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void aRequestThatFailsCostsItsConnectionOnly() throws Throwable {
        int[] pipe = pipe();
        try (DescriptorHolder failing = startFailing()) {
            try (HolderClient agent = HolderClient.connect(failing.socket(), Duration.ofSeconds(2))) {
                agent.put("fuse", new int[] {pipe[1]}, bytes("session"));
            }
            int[] brought = {UnixSockets.dup(pipe[1])};
            assertTrue(dropped(failing.socket(), Op.PUT, "bug", brought), "a request that throws drops its connection");
            HolderProtocol.closeAll(brought);
            assertTrue(dropped(failing.socket(), Op.GET, "oom", new int[0]), "so does one that runs out of heap");

            try (HolderClient successor = HolderClient.connect(failing.socket(), Duration.ofSeconds(2))) {
                assertEquals(List.of("fuse"), successor.names(), "the holder still serves what it held");
                assertArrayEquals(
                        bytes("session"), successor.get("fuse").orElseThrow().record());
            }
            Libc.close(pipe[1]);
            opened.remove((Integer) pipe[1]);
            assertEquals("EAGAIN", TestPipe.read(pipe[0]), "and still holds the descriptor");
        }
    }

    @Test
    void recordsAreCappedInBytesAndTheHolderKeepsServing() throws Throwable {
        Path capped = tmp.resolve("capped").resolve("holder.sock");
        try (DescriptorHolder small = DescriptorHolder.start(capped, new DescriptorHolder.Limits(8, 2, 8, 100_000));
                HolderClient client = HolderClient.connect(capped, Duration.ofSeconds(2))) {
            client.put("a", new int[0], new byte[DescriptorStore.MAX_RECORD]);
            client.put("b", new int[0], new byte[30_000]);
            IOException e =
                    assertThrows(HolderRefusedException.class, () -> client.put("b", new int[0], new byte[40_000]));
            assertEquals(
                    "fd holder: PUT b: a 40000-byte record does not fit; the holder keeps at most 100000 bytes of"
                            + " records and holds 95536; drop entries that are no longer needed",
                    e.getMessage());
            assertThrows(HolderRefusedException.class, () -> client.update("b", new byte[34_465]), "updates count too");
            client.update("b", new byte[34_464]); // a replaced record counts once: exactly 100000 bytes now
            client.drop("a");
            client.put("c", new int[0], new byte[DescriptorStore.MAX_RECORD]); // a dropped record counts no more
            assertEquals(List.of("b", "c"), client.names());
        }
    }

    @Test
    void whenServingStopsAnywayItSaysWhyAndKeepsItsWakeUpUntilClosed() throws Exception {
        DescriptorHolder failing = startFailing();
        try {
            assertTrue(dropped(failing.socket(), Op.GET, "fatal", new int[0]));
            Optional<String> why = assertTimeoutPreemptively(Duration.ofSeconds(5), failing::awaitServingEnd);
            assertEquals(Optional.of("java.lang.StackOverflowError"), why);
            // close() still signals the wake-up descriptor: it must not have been closed (its number reused) yet
            assertEquals(
                    "anon_inode:[eventfd]",
                    Files.readSymbolicLink(Path.of("/proc/self/fd/" + failing.wakeFd()))
                            .toString());
        } finally {
            failing.close();
        }
    }

    private static UnixSockets.Received rawCall(int fd, byte[] message, int[] fds) throws Exception {
        UnixSockets.send(fd, message, fds, false);
        return UnixSockets.receive(fd, HolderProtocol.MAX_MESSAGE, 8, false);
    }

    private static String error(UnixSockets.Received answer) throws Exception {
        HolderProtocol.Frame frame = HolderProtocol.decode(answer.data());
        assertEquals(Status.ERROR.code, frame.code(), "answer status");
        String text = frame.bodyText();
        assertFalse(text.contains("\n"), "one line: " + text);
        return text;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
