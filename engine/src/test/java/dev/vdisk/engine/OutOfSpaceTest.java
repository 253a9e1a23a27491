package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.Reason;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Property 7: out of space gives the writer a clear error and loses or corrupts nothing. */
class OutOfSpaceTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 16384})
    void fillingThePoolFailsCleanlyAndDeletingMakesRoom(int seg) {
        long poolSegments = 48;
        try (Pool pool = TestPools.create(dir.resolve("p"), poolSegments * seg, seg, TestPools.fastOptions())) {
            pool.vdisks().create("a", 64L * seg);
            pool.vdisks().create("b", 64L * seg);
            Vdisk a = pool.vdisks().get("a");
            Vdisk b = pool.vdisks().get("b");
            for (int i = 0; i < 10; i++) {
                TestPools.write(a, (long) i * seg, TestPools.filled(seg, 100 + i));
            }
            int written = 0;
            OutOfSpaceException oos = null;
            for (int i = 0; i < 64; i++) {
                try {
                    TestPools.write(b, (long) i * seg, TestPools.filled(seg, i));
                    written++;
                } catch (OutOfSpaceException e) {
                    oos = e;
                    break;
                }
            }
            assertNotNull(oos, "a pool of " + poolSegments + " segments cannot hold 74 written segments");
            assertEquals(Reason.OUT_OF_SPACE, oos.reason());
            assertTrue(oos.getMessage().contains("free") && oos.getMessage().contains("requested"), oos.getMessage());
            assertTrue(written > 10, "wrote only " + written);
            for (int i = 0; i < written; i++) {
                assertArrayEquals(TestPools.filled(seg, i), TestPools.read(b, (long) i * seg, seg), "b segment " + i);
            }
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(TestPools.filled(seg, 100 + i), TestPools.read(a, (long) i * seg, seg));
            }
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
            pool.drain();
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());

            pool.vdisks().delete("a");
            for (int i = written; i < written + 8; i++) {
                TestPools.write(b, (long) i * seg, TestPools.filled(seg, i));
            }
            for (int i = 0; i < written + 8; i++) {
                assertArrayEquals(TestPools.filled(seg, i), TestPools.read(b, (long) i * seg, seg), "b segment " + i);
            }
            pool.drain();
            assertTrue(pool.check().clean(), () -> pool.check().problems().toString());
        }
    }
}
