package dev.vdisk.api.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitStatusFileTest {

    private static final SplitStatus RUNNING =
            new SplitStatus("pvc 1/é", "copy", "FILLING", 3, 10, 2, 8192, 1.5e6, 42, "a message with spaces", false);
    private static final SplitStatus QUEUED = new SplitStatus("pvc-2", "share", "QUEUED", 0, 0, 0, 0, 0, -1, "", true);

    @TempDir
    Path pool;

    @Test
    void aLineDecodesToTheStatusItEncodes() {
        assertEquals(RUNNING, SplitStatusFile.decode(SplitStatusFile.encode(RUNNING)));
        assertEquals(QUEUED, SplitStatusFile.decode(SplitStatusFile.encode(QUEUED)));
    }

    @Test
    void theFileReadsBackAsWrittenAndOnlyItsOwnerCanReadIt() throws IOException {
        SplitStatusFile.write(pool, 77, 1234, List.of(QUEUED, RUNNING));
        SplitStatusFile.Contents c = SplitStatusFile.read(pool).orElseThrow();
        assertEquals(new SplitStatusFile.Contents(77, 1234, List.of(QUEUED, RUNNING)), c);
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(pool.resolve(SplitStatusFile.NAME))));
        SplitStatusFile.delete(pool);
        assertTrue(SplitStatusFile.read(pool).isEmpty(), "no file, no contents");
    }

    @Test
    void aFileOfAnotherFormatIsRefusedWithWhatItStartsWith() throws IOException {
        Files.writeString(pool.resolve(SplitStatusFile.NAME), "something else\n");
        IOException e = assertThrows(IOException.class, () -> SplitStatusFile.read(pool));
        assertTrue(e.getMessage().contains("'something else'"), e.getMessage());
    }
}
