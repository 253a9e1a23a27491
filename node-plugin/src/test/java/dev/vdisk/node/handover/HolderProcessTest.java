package dev.vdisk.node.handover;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.testing.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The holder and its clients as separate processes, killed with SIGKILL the way a node plugin dies. */
class HolderProcessTest {
    @TempDir
    Path tmp;

    private final List<ChildJvm> children = new ArrayList<>();
    private final List<Integer> opened = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        for (ChildJvm child : children) {
            child.kill();
        }
        opened.forEach(Libc::close);
    }

    private Path socket() {
        return tmp.resolve("holder").resolve("holder.sock");
    }

    private ChildJvm startHolder() throws Exception {
        ChildJvm holder = ChildJvm.start(tmp, HolderProcessMain.class, socket().toString());
        children.add(holder);
        assertEquals("READY", holder.awaitLine());
        return holder;
    }

    @Test
    void descriptorsOutliveTheProcessThatPutThem() throws Exception {
        startHolder();
        Path fifo = tmp.resolve("fifo");
        Command.run("mkfifo", "-m", "0600", fifo.toString());
        int readEnd = Libc.checkedOpen(fifo.toString(), Libc.O_RDONLY | TestPipe.O_NONBLOCK);
        opened.add(readEnd);
        ChildJvm putter = ChildJvm.start(tmp, PutterMain.class, socket().toString(), fifo.toString(), "loop/pvc-7");
        children.add(putter);
        assertEquals("READY", putter.awaitLine());

        putter.kill();
        assertEquals("EAGAIN", TestPipe.read(readEnd), "the write end is still open after SIGKILL of its putter");
        try (HolderClient client = HolderClient.connect(socket(), Duration.ofSeconds(5))) {
            DescriptorStore.Entry entry = client.get("loop/pvc-7").orElseThrow();
            assertArrayEquals("from the putter".getBytes(StandardCharsets.UTF_8), entry.record());
            TestPipe.write(entry.fds()[0], "written after the putter died");
            Libc.close(entry.fds()[0]);
        }
        assertEquals("written after the putter died", TestPipe.read(readEnd));
    }

    @Test
    void theClientPutsItsEntriesIntoARestartedHolder() throws Throwable {
        ChildJvm first = startHolder();
        int[] pipe = TestPipe.open();
        opened.add(pipe[0]);
        opened.add(pipe[1]);
        try (HolderClient client = HolderClient.connect(socket(), Duration.ofSeconds(5))) {
            client.put("fuse", new int[] {pipe[1]}, "session".getBytes(StandardCharsets.UTF_8));
            client.put("loop/stale", new int[0], new byte[0]);
            client.drop("loop/stale");

            first.kill();
            waitFor(() -> !client.connected(), "the client notices the holder is gone");
            client.put("loop/pvc-1", new int[] {pipe[1]}, "put while away".getBytes(StandardCharsets.UTF_8));
            client.update("fuse", "updated while away".getBytes(StandardCharsets.UTF_8));

            long restarted = System.nanoTime();
            startHolder();
            waitFor(client::connected, "the client reconnects");
            System.out.printf(
                    "entries restored %d ms after the new holder started%n",
                    (System.nanoTime() - restarted) / 1_000_000);
        }
        Libc.close(pipe[1]);
        opened.remove((Integer) pipe[1]);
        try (HolderClient fresh = HolderClient.connect(socket(), Duration.ofSeconds(5))) {
            assertEquals(List.of("fuse", "loop/pvc-1"), fresh.names());
            DescriptorStore.Entry fuse = fresh.get("fuse").orElseThrow();
            assertArrayEquals("updated while away".getBytes(StandardCharsets.UTF_8), fuse.record());
            TestPipe.write(fuse.fds()[0], "via the new holder");
            Libc.close(fuse.fds()[0]);
            assertEquals("via the new holder", TestPipe.read(pipe[0]));
        }
    }

    @Test
    void aPeerWithAnotherUidIsRefused() throws Exception {
        if (Libc.geteuid() != 0 || Command.which("setpriv") == null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("CI=true: this test needs root and setpriv to connect as uid 65534");
            }
            Assumptions.abort("skipped: needs root and setpriv (util-linux) to connect as uid 65534");
        }
        startHolder();
        // the holder's own check, not the file modes: open the way to the socket for anyone
        Files.setPosixFilePermissions(socket().getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        ChildJvm probe = ChildJvm.start(
                tmp,
                ProbeMain.class,
                List.of("setpriv", "--reuid=" + Command.NOBODY, "--regid=" + Command.NOBODY, "--clear-groups", "--"),
                ChildJvm.ownClassPath(),
                socket().toString());
        children.add(probe);
        String line = probe.awaitLine();
        assertEquals("ERROR fd holder: refused: peer uid 65534 is not the holder's uid 0", line, probe.log());

        ChildJvm asRoot = ChildJvm.start(tmp, ProbeMain.class, List.of(), ChildJvm.ownClassPath(), socket().toString());
        children.add(asRoot);
        assertEquals("ANSWER OK", asRoot.awaitLine(), "the holder still serves its own uid");
    }

    @Test
    void theClientRefusesAHolderOfAnotherUid() throws Exception {
        if (Libc.geteuid() != 0 || Command.which("setpriv") == null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("CI=true: this test needs root and setpriv to listen as uid 65534");
            }
            Assumptions.abort("skipped: needs root and setpriv (util-linux) to listen as uid 65534");
        }
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path directory = Files.createDirectory(tmp.resolve("squatted"));
        Command.run("chown", Command.NOBODY + ":" + Command.NOBODY, directory.toString());
        Path impostor = directory.resolve("holder.sock");
        ChildJvm squatter = ChildJvm.start(
                tmp,
                ImpostorMain.class,
                List.of("setpriv", "--reuid=" + Command.NOBODY, "--regid=" + Command.NOBODY, "--clear-groups", "--"),
                ChildJvm.ownClassPath(),
                impostor.toString());
        children.add(squatter);
        assertEquals("READY", squatter.awaitLine(), squatter.log());

        IOException e = assertThrows(IOException.class, () -> HolderClient.connect(impostor, Duration.ofSeconds(2))
                .close());
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "fd holder at " + impostor + " runs as uid 65534, not as this process's" + " uid 0"),
                e.getMessage());
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertFalse(System.nanoTime() > deadline, "timed out waiting: " + what);
            Thread.sleep(50);
        }
        assertTrue(condition.getAsBoolean());
    }
}
