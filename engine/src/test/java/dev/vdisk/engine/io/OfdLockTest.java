package dev.vdisk.engine.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data file's lock: exclusive between descriptions in one process, and kept when other descriptors close. */
class OfdLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondLockInTheSameProcessIsRefusedUntilTheFirstIsClosed() throws IOException {
        Path f = dir.resolve("pool.data");
        OfdLock first = OfdLock.tryLock(f, true);
        assertNotNull(first);
        assertNull(OfdLock.tryLock(f, false), "a second open file description got the lock");
        first.close();
        try (OfdLock again = OfdLock.tryLock(f, false)) {
            assertNotNull(again, "closing the lock released it");
        }
    }

    @Test
    void closingAnotherDescriptorOfTheFileKeepsTheLock() throws IOException {
        Path f = dir.resolve("pool.data");
        Files.write(f, new byte[4096]);
        try (OfdLock held = OfdLock.tryLock(f, false)) {
            assertNotNull(held);
            // what the data space does on open, on reopen after an interrupt, and the superblock probe: a POSIX lock
            // (FileChannel.tryLock) would be gone after this close
            try (FileChannel other = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                other.force(true);
            }
            assertNull(OfdLock.tryLock(f, false), "the lock went with another descriptor's close");
        }
    }

    @Test
    void aMissingFileIsAnErrorUnlessCreated() {
        assertThrows(IOException.class, () -> OfdLock.tryLock(dir.resolve("missing"), false));
    }
}
