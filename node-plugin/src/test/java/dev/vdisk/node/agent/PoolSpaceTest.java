package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.engine.PoolInfo;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pool in a sparse file can really write is bounded by the host file system it lives on (a tmpfs of 8 MiB
 * here) plus the free segments the file already holds, minus the engine's reserves; a pool on a device keeps the
 * engine's figure.
 */
@ExtendWith(Privileged.class)
class PoolSpaceTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() throws Exception {
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    @Test
    void aSparsePoolOnAFullerHostFileSystemReportsTheHostsRoomNotItsFreeSegments() throws Exception {
        Path host = dir.resolve("host");
        Files.createDirectories(host);
        Command.run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", host.toString());
        try {
            Path data = host.resolve("pool.data");
            try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
                f.setLength(64 * MIB); // sparse: holds nothing yet
                f.seek(0);
                f.write(new byte[(int) (2 * MIB)]); // 2 MiB used by the pool, physically there
            }
            long hostUsable = Files.getFileStore(data).getUsableSpace();
            // the engine: 62 MiB free, 1 MiB of it reserved or headroom, none pending
            PoolInfo info = info(data, 2 * MIB, 62 * MIB, 61 * MIB, 0);
            assertEquals(hostUsable - MIB, PoolSpace.writable(info), "host room minus the reserves");
            assertTrue(PoolSpace.writable(info) < 8 * MIB);
            assertEquals(hostUsable - MIB, PoolSpace.of(info).availableBytes());

            // a pool with more room on its host than free segments keeps the engine's figure
            PoolInfo small = info(data, 2 * MIB, MIB, MIB / 2, 0);
            assertEquals(MIB / 2, PoolSpace.writable(small));
        } finally {
            Command.run("umount", host.toString());
        }
    }

    @Test
    void aPoolOnADeviceKeepsTheEnginesFigure() {
        assertEquals(61 * MIB, PoolSpace.writable(info(Path.of("/dev/null"), 2 * MIB, 62 * MIB, 61 * MIB, 0)));
    }

    private static PoolInfo info(Path data, long used, long free, long available, long pending) {
        return new PoolInfo(
                data.getParent(),
                data,
                data.getParent(),
                UUID.randomUUID(),
                1,
                65536,
                64 * MIB,
                used,
                free,
                available,
                pending,
                free - available,
                1,
                0,
                0,
                0);
    }
}
