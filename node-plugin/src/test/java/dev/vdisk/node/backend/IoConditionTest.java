package dev.vdisk.node.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.node.testing.LogCapture;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A volume's I/O condition changes once per episode however many requests fail at once, ignores successes until
 * the quiet time has passed and, for a full pool, until the pool can write what the failed writes asked for.
 */
class IoConditionTest {
    private final LogCapture log = new LogCapture();
    private final IoCondition.Changes changes = new IoCondition.Changes();
    private final AtomicLong writable = new AtomicLong();
    private final IoCondition writes = new IoCondition("vol-x", "writes", changes, writable::get);

    @AfterEach
    void restoreLog() {
        log.close();
    }

    @Test
    void manyConcurrentFailuresAreOneChangeAndRecoveryWaitsForQuietAndRoom() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    writes.failed(new OutOfSpaceException("write", 65536, 131072));
                    writes.succeeded(); // a rewrite in place between the failures
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1, changes.failing().sum());
        assertEquals(
                "writes failing: pool out of space",
                writes.current().orElseThrow().what());
        assertEquals(1, log.lines("vol-x: writes failing: pool out of space"), log.text());

        Thread.sleep(IoCondition.QUIET_NANOS / 1_000_000 + 100);
        writable.set(65536); // less than the 131072 a failed write asked for
        writes.succeeded();
        assertTrue(writes.current().isPresent(), "no room yet");
        writable.set(1 << 20);
        writes.succeeded();
        assertTrue(writes.current().isPresent(), "the pool is asked at most once a second");
        Thread.sleep(IoCondition.ROOM_CHECK_NANOS / 1_000_000 + 100);
        writes.succeeded();
        writes.succeeded();
        assertFalse(writes.current().isPresent());
        assertEquals(1, changes.recovered().sum());
        assertEquals(1, log.lines("vol-x: writes succeed again"), log.text());
        assertEquals(0, log.lines("\tat "), "no stack trace");
    }

    @Test
    void anIoErrorEndsAfterTheQuietTimeWithoutAskingThePoolAndNamesNoPath() throws Exception {
        writes.failed(new IOException("pwrite /var/lib/vdisk/pool/pool.data failed: Input/output error"));
        String what = writes.current().orElseThrow().what();
        assertEquals("writes failing: I/O error (the node agent's log has the details)", what);
        Thread.sleep(IoCondition.QUIET_NANOS / 1_000_000 + 100);
        writes.succeeded(); // writable is 0: not asked for an I/O error
        assertFalse(writes.current().isPresent());
    }
}
