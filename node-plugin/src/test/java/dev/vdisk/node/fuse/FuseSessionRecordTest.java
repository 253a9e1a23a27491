package dev.vdisk.node.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FuseSessionRecordTest {
    private static FuseSessionRecord sample() {
        Map<String, Long> images = new LinkedHashMap<>();
        images.put("pvc-1", 2L);
        images.put("pvc-é-3", 4L);
        return new FuseSessionRecord(
                Path.of("/run/vdisk/fuse"), 41, 1 << 20, 0x448021, 0x200, 1_700_000_000L, 5, images);
    }

    @Test
    void aRecordRoundTrips() throws IOException {
        FuseSessionRecord r = sample();
        FuseSessionRecord back = FuseSessionRecord.decode(r.encode());
        assertEquals(r, back);
        assertEquals(Map.of("pvc-1", 2L, "pvc-é-3", 4L), back.images());
        assertEquals(5, back.nextInode());
    }

    @Test
    void anotherVersionIsRefused() {
        byte[] bytes = sample().encode();
        bytes[4] = 2; // version u16 @4
        IOException e = assertThrows(IOException.class, () -> FuseSessionRecord.decode(bytes));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
    }

    @Test
    void garbageAndTruncatedRecordsAreRefused() {
        byte[] bytes = sample().encode();
        assertThrows(IOException.class, () -> FuseSessionRecord.decode(Arrays.copyOf(bytes, bytes.length - 3)));
        assertThrows(IOException.class, () -> FuseSessionRecord.decode(Arrays.copyOf(bytes, bytes.length + 1)));
        byte[] wrongMagic = bytes.clone();
        wrongMagic[0] ^= 1;
        assertThrows(IOException.class, () -> FuseSessionRecord.decode(wrongMagic));
        assertThrows(IOException.class, () -> FuseSessionRecord.decode(new byte[0]));
    }

    @Test
    void theGateLetsNoRequestStartAfterItClosesAndWaitsForThoseInFlight() throws Exception {
        StopGate gate = new StopGate();
        assertTrue(gate.enter());
        Thread finisher = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            gate.exit();
        });
        long start = System.nanoTime();
        assertEquals(0, gate.close(5_000), "the request in flight finished");
        assertTrue(System.nanoTime() - start >= 150_000_000L, "close waited for it");
        assertEquals(false, gate.enter(), "nothing starts after the gate closed");
        finisher.join();
        StopGate stuck = new StopGate();
        assertTrue(stuck.enter());
        assertEquals(1, stuck.close(50), "bounded: a request that does not finish is reported, not waited for");
    }
}
