package dev.vdisk.engine.replica;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.CorruptMetadataException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state file round-trips every field and refuses a damaged copy. */
class ReplicaStateFileTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsAndDetectsDamage() throws Exception {
        ReplicaState s = new ReplicaState(
                "r:vol", "r-s0", "s 0", new ReplicaState.Pending("s 0", "s1", "r-s1", 1L << 40, 123456789L, 99, true));
        ReplicaStateFile.write(dir, s);
        assertEquals(s, ReplicaStateFile.read(dir, "r:vol").orElseThrow());
        ReplicaState idle = ReplicaState.empty("r:vol");
        ReplicaStateFile.write(dir, idle);
        assertEquals(idle, ReplicaStateFile.read(dir, "r:vol").orElseThrow());
        assertTrue(ReplicaStateFile.read(dir, "other").isEmpty());

        ReplicaStateFile.write(dir, s);
        Path f = ReplicaStateFile.path(dir, "r:vol");
        Files.writeString(f, Files.readString(f).replace("123456789", "123456780"));
        assertThrows(CorruptMetadataException.class, () -> ReplicaStateFile.read(dir, "r:vol"));
    }
}
