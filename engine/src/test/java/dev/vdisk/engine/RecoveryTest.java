package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Journal replay after a crash with no consistency point since the writes. */
class RecoveryTest {
    @TempDir
    Path dir;

    /** Replay must be able to destage while it replays (it once held the journal lock the destager needed). */
    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 65536})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void replayLargerThanTheChangesTableCompletes(int seg) {
        PoolOptions small = TestPools.quietOptions().withDirtyLimitBytes(2L << 20);
        Path p = dir.resolve("p");
        Pool pool = TestPools.create(p, 64L << 20, seg, small);
        pool.vdisks().create("v", 16L << 20);
        Vdisk v = pool.vdisks().get("v");
        int blocks = 3 * 512; // 6 MiB of 4 KiB writes: three times the changes table
        for (int i = 0; i < blocks; i++) {
            TestPools.write(v, (long) i * 4096, TestPools.filled(4096, i));
        }
        v.flush();
        pool.abandonForTesting();
        try (Pool reopened = Pool.open(p, small)) {
            Vdisk r = reopened.vdisks().get("v");
            for (int i = 0; i < blocks; i++) {
                assertArrayEquals(TestPools.filled(4096, i), TestPools.read(r, (long) i * 4096, 4096), "block " + i);
            }
            assertTrue(reopened.check().clean());
        }
    }
}
