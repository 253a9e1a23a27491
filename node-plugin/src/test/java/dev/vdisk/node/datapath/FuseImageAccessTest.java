package dev.vdisk.node.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.backend.MemoryBackend;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.fuse.FuseTransport;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Only root may use an attached volume's image: a real non-root user (nobody) can neither read nor write it through
 * the FUSE mount, whether the mount point's parent is 0700 as we create it or was loosened afterwards (then the
 * kernel refuses by the image's and the root's modes, {@code default_permissions}), and a request of nobody's that
 * the kernel does pass on (statfs of the mount point) is refused by our server on either transport. The directory is
 * made under /tmp with mode 0755, so that nothing but our own modes stands between nobody and the images.
 */
@ExtendWith(Privileged.class)
@ParameterizedClass
@EnumSource(
        value = FuseTransport.class,
        names = {"DEV", "URING"})
class FuseImageAccessTest {
    private static final byte[] SECRET = "volume data only root may read".getBytes(StandardCharsets.UTF_8);

    @Parameter
    FuseTransport transport;

    private Path base;
    private Path stateDir;
    private MemoryBackend backend;
    private DataPath dataPath;

    @BeforeEach
    void setUp() throws IOException {
        base = Files.createTempDirectory(Path.of("/tmp"), "vdisk-fuse-access-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        stateDir = base.resolve("state"); // made by the mount, with the mount point
        backend = new MemoryBackend(8L << 20);
        backend.write(0, ByteBuffer.wrap(SECRET));
        dataPath = DataPath.start(
                stateDir.resolve("fuse"), FuseConfig.defaults().withWorkers(4).withTransport(transport));
    }

    @AfterEach
    void tearDown() throws IOException {
        try {
            dataPath.close();
        } finally {
            backend.close();
            LeakCheck.unmountAllUnder(base);
            LeakCheck.assertNothingLeftUnder(base);
            try (Stream<Path> paths = Files.walk(base)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void nobodyCanNeitherReadNorWriteAnAttachedImage() throws IOException {
        Path image = dataPath.attach("vol-a", backend).image();
        assertTrue(
                Command.run("head", "-c", "64", image.toString()).contains(new String(SECRET, StandardCharsets.UTF_8)),
                "root reads the image");
        assertEquals("700", Command.run("stat", "-c", "%a", stateDir.toString()).strip(), "mount point's new parent");
        assertEquals(
                "700 0",
                Command.run("stat", "-c", "%a %u", dataPath.mountPoint().toString())
                        .strip(),
                "FUSE root");
        assertEquals(
                "600 0", Command.run("stat", "-c", "%a %u", image.toString()).strip(), "image");

        assertRefused(image);
        // loosened by an operator: the kernel still refuses by the modes of the FUSE root and the image
        Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertRefused(image);
        dataPath.detach("vol-a");
    }

    @Test
    void aRequestOfNobodyThatTheKernelPassesOnIsRefusedByTheServer() throws IOException {
        Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path mountPoint = dataPath.mountPoint();
        Command.run("stat", "-f", mountPoint.toString()); // root's statfs is served
        long ringBefore = dataPath.ringRequests();
        Command.Result r = Command.tryAsNobody("stat", "-f", mountPoint.toString());
        assertNotEquals(0, r.exitCode(), "nobody's statfs of the mount point: " + r.output());
        assertTrue(r.output().contains("Permission denied"), r.output());
        if (transport == FuseTransport.URING) {
            assertTrue(dataPath.ringRequests() > ringBefore, "nobody's STATFS came through the ring");
        }
    }

    /** Nobody's read and write of the image fail for lack of permission, and the volume's bytes stay as they were. */
    private void assertRefused(Path image) {
        Command.Result read = Command.tryAsNobody("head", "-c", "64", image.toString());
        assertNotEquals(0, read.exitCode(), "nobody read the image: " + read.output());
        assertTrue(read.output().contains("Permission denied"), read.output());
        assertFalse(read.output().contains(new String(SECRET, StandardCharsets.UTF_8)), read.output());

        Command.Result write = Command.tryAsNobody(
                "dd", "if=/dev/zero", "of=" + image, "bs=4096", "count=1", "conv=notrunc", "status=none");
        assertNotEquals(0, write.exitCode(), "nobody wrote the image: " + write.output());
        assertTrue(write.output().contains("Permission denied"), write.output());
        ByteBuffer first = ByteBuffer.allocate(SECRET.length);
        backend.read(0, first);
        assertEquals(ByteBuffer.wrap(SECRET), first.flip(), "the volume's first bytes");
    }
}
