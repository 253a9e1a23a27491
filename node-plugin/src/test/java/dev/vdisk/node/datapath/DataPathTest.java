package dev.vdisk.node.datapath;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.backend.FileBackend;
import dev.vdisk.node.backend.MemoryBackend;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.fuse.FuseTransport;
import dev.vdisk.node.loop.LoopDevice;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole data path on a real kernel: a file backend served through our FUSE server, a direct-I/O loop
 * device on it, real mkfs, mount, fstrim, blkdiscard and fio. Every test cleans up after itself, and the
 * class ends by asserting that no mount and no loop device is left under its directory. Every test runs on both
 * transports: /dev/fuse and io_uring (which the kernel must offer: the test fails if it does not).
 */
@ExtendWith(Privileged.class)
@ParameterizedClass
@EnumSource(
        value = FuseTransport.class,
        names = {"DEV", "URING"})
class DataPathTest {
    private static final Path ROOT = Path.of("target/datapath-tests").toAbsolutePath();
    private static final long SIZE = 512L << 20; // mkfs.xfs wants more than 300 MB

    @Parameter
    FuseTransport transport;

    private Path dir;
    private DataPath dataPath;
    private FileBackend backend;

    @BeforeEach
    void setUp(TestInfo info) throws IOException {
        dir = ROOT.resolve(info.getTestMethod().orElseThrow().getName() + "-" + transport + "-" + System.nanoTime());
        Files.createDirectories(dir);
        backend = FileBackend.open(dir.resolve("backing.img"), SIZE, false);
        dataPath = DataPath.start(
                dir.resolve("fuse"), FuseConfig.defaults().withWorkers(8).withTransport(transport));
    }

    @AfterEach
    void tearDown() throws IOException {
        try {
            // filesystems on the loop devices first, then loops and the FUSE mount
            Path fs = dir.resolve("fs");
            if (Files.exists(fs)) {
                Command.tryRun(60, "umount", fs.toString());
            }
        } finally {
            try {
                dataPath.close();
            } finally {
                backend.close();
                LeakCheck.unmountAllUnder(dir);
                LeakCheck.assertNothingLeftUnder(dir);
            }
        }
    }

    @AfterAll
    static void nothingLeaked() throws IOException {
        LeakCheck.assertNothingLeftUnder(ROOT);
    }

    @Test
    void requestsTravelByTheRequestedTransport() throws IOException {
        assertEquals(transport, dataPath.transport(), "transport in use");
        DataPath.AttachedVolume v = dataPath.attach("pvc-t", backend);
        Command.run("dd", "if=/dev/zero", "of=" + v.device(), "bs=64k", "count=16", "oflag=direct", "status=none");
        Command.run("dd", "if=" + v.device(), "of=/dev/null", "bs=64k", "count=16", "iflag=direct", "status=none");
        if (transport == FuseTransport.URING) {
            assertTrue(
                    dataPath.ringRequests() >= 32,
                    "reads and writes came through the ring: " + dataPath.ringRequests());
        } else {
            assertEquals(0, dataPath.ringRequests(), "nothing through a ring");
        }
        dataPath.detach("pvc-t");
    }

    @Test
    void attachGivesADirectIoLoopDeviceWith4kBlocksFoundByItsBackingFile() throws IOException {
        DataPath.AttachedVolume v = dataPath.attach("pvc-0001", backend);
        String sys = "/sys/block/loop" + v.loopNumber();
        assertEquals("1", Files.readString(Path.of(sys, "loop/dio")).strip(), "direct I/O");
        assertEquals(
                "4096",
                Files.readString(Path.of(sys, "queue/logical_block_size")).strip());
        assertEquals(
                SIZE / 512,
                Long.parseLong(Files.readString(Path.of(sys, "size")).strip()));
        assertEquals(
                dir.resolve("fuse/pvc-0001"),
                Path.of(Files.readString(Path.of(sys, "loop/backing_file")).strip()));
        assertEquals(List.of(v.loopNumber()), LoopDevice.findByBackingFile(v.image()));
        assertTrue(
                Long.parseLong(Files.readString(Path.of(sys, "queue/discard_max_bytes"))
                                .strip())
                        > 0,
                "discard enabled on the loop device");

        dataPath.detach("pvc-0001");
        assertEquals(List.of(), LoopDevice.findByBackingFile(v.image()));
        assertFalse(Files.exists(v.image()), "image removed from the FUSE directory");
    }

    @Test
    void imageDirectoryListsVolumesAndRefusesSizeChanges() throws IOException {
        try (MemoryBackend small = new MemoryBackend(8L << 20)) {
            dataPath.attach("a", backend);
            dataPath.attach("b", small);
            try (Stream<Path> files = Files.list(dataPath.mountPoint())) {
                assertEquals(
                        List.of("a", "b"),
                        files.map(p -> p.getFileName().toString()).sorted().toList());
            }
            assertEquals(SIZE, Files.size(dataPath.mountPoint().resolve("a")));
            assertEquals(8L << 20, Files.size(dataPath.mountPoint().resolve("b")));
            assertFalse(
                    Command.tryRun(
                                            10,
                                            "truncate",
                                            "-s",
                                            "1M",
                                            dataPath.mountPoint().resolve("b").toString())
                                    .exitCode()
                            == 0,
                    "size change refused");
            Command.run(
                    "truncate",
                    "-s",
                    "" + (8L << 20),
                    dataPath.mountPoint().resolve("b").toString());
            assertFalse(Files.exists(dataPath.mountPoint().resolve("c")));
            // raw bytes through the loop device of the memory backend
            Path dev = dataPath.find("b").orElseThrow().device();
            Command.run("dd", "if=/dev/urandom", "of=" + dir.resolve("rand"), "bs=1M", "count=8", "status=none");
            Command.run("dd", "if=" + dir.resolve("rand"), "of=" + dev, "bs=1M", "oflag=direct", "status=none");
            byte[] expected = Files.readAllBytes(dir.resolve("rand"));
            Command.run("dd", "if=" + dev, "of=" + dir.resolve("back"), "bs=64k", "iflag=direct", "status=none");
            assertArrayEquals(expected, Files.readAllBytes(dir.resolve("back")));
            dataPath.detach("b");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ext4", "xfs"})
    void filesystemSurvivesUnmountAndReattach(String fsType) throws Exception {
        DataPath.AttachedVolume v = dataPath.attach("pvc-fs", backend);
        mkfs(fsType, v.device());
        Path fs = dir.resolve("fs");
        Files.createDirectories(fs);
        Command.run("mount", v.device().toString(), fs.toString());
        Map<String, String> sums = new HashMap<>();
        Random random = new Random(42);
        for (int i = 0; i < 20; i++) {
            byte[] data = new byte[random.nextInt(4 << 20) + 1];
            random.nextBytes(data);
            Files.write(fs.resolve("f" + i), data);
            sums.put("f" + i, sha256(data));
        }
        Command.run("umount", fs.toString());
        // detach and attach again: the data must come from the backend, not from any cache above it
        dataPath.detach("pvc-fs");
        v = dataPath.attach("pvc-fs", backend);
        Command.run("mount", v.device().toString(), fs.toString());
        for (var e : sums.entrySet()) {
            assertEquals(e.getValue(), sha256(Files.readAllBytes(fs.resolve(e.getKey()))), e.getKey());
        }
        Command.run("umount", fs.toString());
        Command.run(
                fsType.equals("xfs") ? "xfs_repair" : "e2fsck",
                fsType.equals("xfs") ? "-n" : "-fn",
                v.device().toString());
    }

    @Test
    void fstrimOnAMountedFilesystemPunchesHolesInTheBackend() throws IOException {
        DataPath.AttachedVolume v = dataPath.attach("pvc-trim", backend);
        mkfs("ext4", v.device());
        Path fs = dir.resolve("fs");
        Files.createDirectories(fs);
        Command.run("mount", "-o", "nodiscard", v.device().toString(), fs.toString());
        Command.run(
                "dd", "if=/dev/urandom", "of=" + fs.resolve("big"), "bs=1M", "count=96", "conv=fsync", "status=none");
        long full = Command.allocatedBlocks(backend.file());
        Files.delete(fs.resolve("big"));
        Command.run("sync");
        Command.run("fstrim", "-v", fs.toString());
        long trimmed = Command.allocatedBlocks(backend.file());
        assertTrue(
                trimmed < full - (80L << 20) / 512,
                "backing file allocated " + full + " blocks before fstrim, " + trimmed + " after");
    }

    @Test
    void blkdiscardOnTheRawDevicePunchesHolesInTheBackend() throws IOException {
        DataPath.AttachedVolume v = dataPath.attach("pvc-raw", backend);
        Command.run("dd", "if=/dev/urandom", "of=" + v.device(), "bs=1M", "count=64", "oflag=direct", "status=none");
        long full = Command.allocatedBlocks(backend.file());
        assertTrue(full >= (64L << 20) / 512, "written data is allocated: " + full);
        Command.run("blkdiscard", "-o", "0", "-l", "" + (32L << 20), v.device().toString());
        long half = Command.allocatedBlocks(backend.file());
        assertTrue(half <= full - (32L << 20) / 512, "after discarding 32 MiB: " + full + " -> " + half);
        Command.run("blkdiscard", v.device().toString());
        assertEquals(0, Command.allocatedBlocks(backend.file()));
        // discarded ranges read back as zeros
        Command.run(
                "dd",
                "if=" + v.device(),
                "of=" + dir.resolve("back"),
                "bs=1M",
                "count=1",
                "iflag=direct",
                "status=none");
        assertArrayEquals(new byte[1 << 20], Files.readAllBytes(dir.resolve("back")));
        // and zeroout (WRITE_ZEROES -> FALLOC_FL_ZERO_RANGE) too
        Command.run("dd", "if=/dev/urandom", "of=" + v.device(), "bs=1M", "count=4", "oflag=direct", "status=none");
        Command.run(
                "blkdiscard", "-z", "-o", "0", "-l", "" + (4L << 20), v.device().toString());
        Command.run(
                "dd",
                "if=" + v.device(),
                "of=" + dir.resolve("back"),
                "bs=1M",
                "count=4",
                "iflag=direct",
                "status=none");
        assertArrayEquals(new byte[4 << 20], Files.readAllBytes(dir.resolve("back")));
    }

    @Test
    void growingTheBackendGrowsTheLoopDevice() throws IOException {
        DataPath.AttachedVolume v = dataPath.attach("pvc-grow", backend);
        long bigger = SIZE + (128L << 20);
        backend.resize(bigger);
        dataPath.resize("pvc-grow");
        assertEquals(bigger, Files.size(v.image()));
        assertEquals(
                bigger / 512,
                Long.parseLong(Files.readString(Path.of("/sys/block/loop" + v.loopNumber(), "size"))
                        .strip()));
        // the new tail is writable and readable through the device
        Command.run("dd", "if=/dev/urandom", "of=" + dir.resolve("rand"), "bs=1M", "count=1", "status=none");
        Command.run(
                "dd",
                "if=" + dir.resolve("rand"),
                "of=" + v.device(),
                "bs=1M",
                "seek=" + (bigger / (1 << 20) - 1),
                "oflag=direct",
                "status=none");
        Command.run(
                "dd",
                "if=" + v.device(),
                "of=" + dir.resolve("back"),
                "bs=1M",
                "skip=" + (bigger / (1 << 20) - 1),
                "iflag=direct",
                "status=none");
        assertArrayEquals(Files.readAllBytes(dir.resolve("rand")), Files.readAllBytes(dir.resolve("back")));
    }

    @Test
    void concurrentDirectIoVerifies() throws IOException {
        DataPath.AttachedVolume v = dataPath.attach("pvc-fio", backend);
        // four jobs, each on its own 32 MiB region, random 4 KiB and 64 KiB writes at depth 16, verified on read-back
        for (String bs : List.of("4k", "64k")) {
            Command.run(
                    300,
                    "fio",
                    "--name=verify-" + bs,
                    "--filename=" + v.device(),
                    "--direct=1",
                    "--ioengine=libaio",
                    "--rw=randwrite",
                    "--bs=" + bs,
                    "--iodepth=16",
                    "--numjobs=4",
                    "--size=32M",
                    "--offset_increment=32M",
                    "--verify=crc32c",
                    "--verify_fatal=1",
                    "--do_verify=1",
                    "--verify_state_save=0",
                    "--group_reporting");
        }
        // mixed reads and writes with 1 MiB requests, then a whole-device checksum against the backing file
        Command.run(
                300,
                "fio",
                "--name=seq",
                "--filename=" + v.device(),
                "--direct=1",
                "--ioengine=libaio",
                "--rw=write",
                "--bs=1M",
                "--iodepth=8",
                "--size=128M",
                "--verify=crc32c",
                "--do_verify=1",
                "--verify_state_save=0");
        String viaDevice =
                Command.run("sh", "-c", "dd if=" + v.device() + " bs=1M iflag=direct status=none | sha256sum");
        String viaFile = Command.run("sh", "-c", "sha256sum < " + backend.file());
        assertEquals(viaFile, viaDevice);
    }

    @Test
    void closingWhileAFilesystemIsStillMountedLeavesNothingBehindOnceItIsUnmounted() throws IOException {
        DataPath.AttachedVolume v = dataPath.attach("pvc-busy", backend);
        mkfs("ext4", v.device());
        Path fs = dir.resolve("fs");
        Files.createDirectories(fs);
        Command.run("mount", v.device().toString(), fs.toString());
        // the loop detach is deferred (the mount holds the device), the FUSE mount is busy: lazy unmount + abort
        dataPath.close();
        Command.tryRun(60, "umount", fs.toString());
        // with the last opener gone, AUTOCLEAR releases the loop device and with it the FUSE superblock
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!LoopDevice.findByBackingFile(v.image()).isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        LeakCheck.assertNothingLeftUnder(dir);
    }

    private static void mkfs(String fsType, Path device) {
        if (fsType.equals("xfs")) {
            Command.run("mkfs.xfs", "-q", "-f", device.toString());
        } else {
            Command.run("mkfs.ext4", "-q", "-F", device.toString());
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
