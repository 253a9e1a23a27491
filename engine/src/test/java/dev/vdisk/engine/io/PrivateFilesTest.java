package dev.vdisk.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Creation modes and the tightening walk, on a real filesystem with the process's umask in force. */
class PrivateFilesTest {
    @TempDir
    Path dir;

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void createdFilesAre0600AndDirectories0700AndExistingFilesKeepTheirMode() throws IOException {
        Path nested = PrivateFiles.createDirectories(dir.resolve("a/b"));
        assertEquals("rwx------", mode(dir.resolve("a")));
        assertEquals("rwx------", mode(nested));
        PrivateFiles.writeString(nested.resolve("f"), "text");
        assertEquals("rw-------", mode(nested.resolve("f")));
        assertEquals("text", Files.readString(nested.resolve("f")));

        Path loose = Files.writeString(dir.resolve("loose"), "x");
        Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rw-r--r--"));
        PrivateFiles.open(loose, StandardOpenOption.CREATE, StandardOpenOption.WRITE)
                .close();
        assertEquals("rw-r--r--", mode(loose), "open never changes an existing file: tighten does");
    }

    @Test
    void tighteningTakesGroupAndOtherBitsOnlyAndCountsWhatChanged() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Path script = Files.writeString(sub.resolve("script"), "x");
        Path readOnly = Files.writeString(sub.resolve("ro"), "x");
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxrwxr-x"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r--------"));
        assertEquals(2, PrivateFiles.tightenTree(sub));
        assertEquals("rwx------", mode(sub));
        assertEquals("rwx------", mode(script), "the owner's bits stay");
        assertEquals("r--------", mode(readOnly), "already private: untouched");
        assertEquals(0, PrivateFiles.tightenTree(sub), "nothing left to change");
    }

    @Test
    void aSharedDirectoryIsNotWalked() throws IOException {
        Path shared = Files.createDirectories(dir.resolve("tmp"));
        Path file = Files.writeString(shared.resolve("someone-elses"), "x");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setAttribute(shared, "unix:mode", 01777);
        assertEquals(0, PrivateFiles.tightenTree(shared));
        assertEquals("rw-r--r--", mode(file));
        assertFalse(mode(shared).equals("rwx------"), "the shared directory keeps its mode");
    }

    @Test
    void modesPrintAsOctal() {
        assertEquals("0644", PrivateFiles.octal(PosixFilePermissions.fromString("rw-r--r--")));
        assertEquals("0700", PrivateFiles.octal(PosixFilePermissions.fromString("rwx------")));
        assertEquals("0001", PrivateFiles.octal(PosixFilePermissions.fromString("--------x")));
    }
}
