package dev.vdisk.node.handover;

import dev.vdisk.node.handover.HolderConnection.HolderRefusedException;
import dev.vdisk.node.handover.HolderProtocol.Op;
import dev.vdisk.node.handover.HolderProtocol.Status;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.UnixSockets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The holder in this JVM, over its real socket: privacy of the socket, the table, and bad requests. */
class DescriptorHolderTest {
    @TempDir
    Path tmp;
    private Path socket;
    private DescriptorHolder holder;
    private final java.util.List<Integer> opened = new java.util.ArrayList<>();

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
        IOException live = assertThrows(IOException.class,
                () -> DescriptorHolder.start(socket, DescriptorHolder.Limits.DEFAULT));
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

        Path open = Files.createDirectory(tmp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        IOException e = assertThrows(IOException.class,
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
    void aFullHolderRefusesNewEntriesAndKeepsServing() throws Throwable {
        int[] pipe = pipe();
        try (HolderClient client = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            for (int i = 0; i < 3; i++) {
                client.put("e" + i, new int[] {pipe[1]}, new byte[0]);
            }
            IOException e = assertThrows(HolderRefusedException.class,
                    () -> client.put("e3", new int[] {pipe[1]}, new byte[0]));
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

        assertEquals("unknown op 9 (this holder knows PUT 1, UPDATE 2, GET 3, DROP 4, LIST 5)",
                error(rawCall(fd, HolderProtocol.encode(9, "x", new byte[0]), new int[0])));

        byte[] oversized = ByteBuffer.allocate(HolderProtocol.HEADER + 1 + DescriptorStore.MAX_RECORD + 1)
                .put((byte) 1).put((byte) Op.PUT.code).putShort((short) 1).putInt(DescriptorStore.MAX_RECORD + 1)
                .put((byte) 'x').array();
        assertEquals("record of 65537 bytes; at most 65536", error(rawCall(fd, oversized, new int[0])));
        assertEquals("message larger than 65799 bytes (records are at most 65536)",
                error(rawCall(fd, new byte[70_000], new int[0])));

        int[] three = {UnixSockets.dup(pipe[1]), UnixSockets.dup(pipe[1]), UnixSockets.dup(pipe[1])};
        String tooMany = error(rawCall(fd, HolderProtocol.encode(Op.PUT.code, "x", new byte[0]), three));
        assertEquals("descriptors cut: more than 2 in one request, or the holder is out of descriptors (RLIMIT_NOFILE)",
                tooMany);
        HolderProtocol.closeAll(three);
        Libc.close(pipe[1]);
        opened.remove((Integer) pipe[1]);
        assertEquals("EOF", TestPipe.read(pipe[0]), "the holder closed the descriptors of the refused request");

        assertEquals("protocol version 7 is not spoken here (only 1)",
                error(rawCall(fd, new byte[] {7, 3, 0, 0, 0, 0, 0, 0}, new int[0])));
        assertEquals("GET carries no descriptors, got 1",
                error(rawCall(fd, HolderProtocol.encode(Op.GET.code, "x", new byte[0]), new int[] {fd})));

        UnixSockets.Received fine = rawCall(fd, HolderProtocol.encode(Op.GET.code, "x", new byte[0]), new int[0]);
        assertEquals(Status.NOT_FOUND.code, HolderProtocol.decode(fine.data()).code(), "the connection still serves");

        try (HolderClient client = HolderClient.connect(socket, Duration.ofSeconds(2))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> client.put("big", new int[0], new byte[DescriptorStore.MAX_RECORD + 1]));
            assertEquals("entry big: 0 descriptors and a 65537-byte record; at most 253 and 65536", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> client.put("many", new int[254], new byte[0]));
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
