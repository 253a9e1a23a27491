package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.UnsupportedFormatException;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.format.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, section 2: create never writes over an existing pool or data, {@code vdisk pool import} brings a pool back
 * from its own files, and {@code pool.properties} names the files relative to its directory.
 */
class PoolCreateAndImportTest {
    private static final int SEG = 4096;

    @TempDir
    Path dir;

    @Test
    void poolPropertiesStorePathsInsideTheDirectoryRelativeToItAndTheUuid() throws IOException {
        Path p = dir.resolve("p");
        Path outside = dir.resolve("elsewhere-journal");
        String uuid;
        try (Pool pool = Pool.create(p, new PoolSpec(4L << 20, SEG, null, outside), TestPools.quietOptions())) {
            uuid = pool.info().uuid().toString();
        }
        Properties props = properties(p);
        assertEquals("2", props.getProperty("format"));
        assertEquals(uuid, props.getProperty("uuid"));
        assertEquals("pool.data", props.getProperty("data"));
        assertEquals(outside.toAbsolutePath().normalize().toString(), props.getProperty("journal"));
    }

    @Test
    void aFormatOnePoolPropertiesWithAbsolutePathsIsReadAndRewrittenRelative() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 20);
        }
        Files.writeString(
                p.resolve(PoolFiles.PROPERTIES),
                "format=1\ndevice=false\ndata=" + p.resolve(PoolFiles.DATA).toAbsolutePath() + "\njournal="
                        + p.resolve("journal").toAbsolutePath() + "\n");
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertEquals(1, pool.vdisks().list().size());
        }
        Properties props = properties(p);
        assertEquals("2", props.getProperty("format"));
        assertEquals("pool.data", props.getProperty("data"));
        assertEquals("journal", props.getProperty("journal"));
        assertNotNull(props.getProperty("uuid"));
    }

    @Test
    void creatingOverAnExistingPoolIsRefusedAndImportBringsItBackWithItsVolumes() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 20);
            TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(SEG, 7));
        }
        // pool.properties lost and the journal directory empty: what the driver used to create a new pool over
        Files.delete(p.resolve(PoolFiles.PROPERTIES));
        try (Stream<Path> s = Files.list(p.resolve(PoolFiles.JOURNAL))) {
            for (Path f : s.toList()) {
                Files.delete(f);
            }
        }
        byte[] head = head(p.resolve(PoolFiles.DATA));
        VdiskExistsException e = assertThrows(
                VdiskExistsException.class, () -> TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions()));
        assertTrue(
                e.getMessage().contains("already holds vdisk pool")
                        && e.getMessage().contains("vdisk pool import"),
                e.getMessage());
        assertArrayEquals(head, head(p.resolve(PoolFiles.DATA)), "the refused create changed the superblocks");
        assertFalse(Files.exists(p.resolve(PoolFiles.PROPERTIES)));

        // an emptied journal directory is journal damage like any other: import refuses it until the loss is accepted
        JournalDamagedException d = assertThrows(
                JournalDamagedException.class, () -> PoolImport.run(p, null, null, TestPools.quietOptions()));
        assertTrue(d.getMessage().contains("holds no journal file"), d.getMessage());
        assertFalse(Files.exists(p.resolve(PoolFiles.PROPERTIES)));
        CheckReport r = PoolImport.run(p, null, null, TestPools.quietOptions().withAcceptJournalLoss(true));
        assertTrue(r.clean(), r.problems().toString());
        try (Pool pool = Pool.open(p, TestPools.quietOptions())) {
            assertArrayEquals(
                    TestPools.filled(SEG, 7), TestPools.read(pool.vdisks().get("v"), 0, SEG));
        }
        assertThrows(
                VdiskExistsException.class,
                () -> PoolImport.run(p, null, null, TestPools.quietOptions()),
                "import never replaces an existing pool.properties");
    }

    @Test
    void creatingOverOneSurvivingSuperblockSlotOrAnyHeaderBytesIsRefused() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 20);
        }
        Files.delete(p.resolve(PoolFiles.PROPERTIES));
        deleteJournal(p);
        try (RandomAccessFile f = new RandomAccessFile(p.resolve(PoolFiles.DATA).toFile(), "rw")) {
            f.write(new byte[Superblock.SLOT_SIZE]); // slot 0 gone: slot 1 still names the pool
        }
        assertThrows(VdiskExistsException.class, () -> TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions()));
        try (RandomAccessFile f = new RandomAccessFile(p.resolve(PoolFiles.DATA).toFile(), "rw")) {
            f.write(new byte[2 * Superblock.SLOT_SIZE]);
            f.seek(5000);
            f.write(1); // no superblock, but not empty either
        }
        VdiskExistsException e = assertThrows(
                VdiskExistsException.class, () -> TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions()));
        assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
    }

    @Test
    void aNonEmptyJournalDirectoryIsRefusedWithoutAdvisingToEmptyIt() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 20);
            TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(SEG, 7));
        }
        Path q = dir.resolve("q");
        VdiskExistsException e = assertThrows(
                VdiskExistsException.class,
                () -> Pool.create(
                        q, new PoolSpec(4L << 20, SEG, null, p.resolve(PoolFiles.JOURNAL)), TestPools.quietOptions()));
        assertTrue(
                e.getMessage().contains("vdisk pool import")
                        && !e.getMessage().contains("empty one")
                        && !e.getMessage().contains("delete"),
                e.getMessage());
    }

    @Test
    void aVersionOnePoolIsRefusedSayingItCannotBeMigrated() throws IOException {
        Path p = dir.resolve("p");
        try (Pool pool = TestPools.create(p, 4L << 20, SEG, TestPools.quietOptions())) {
            pool.vdisks().create("v", 1L << 20);
        }
        try (RandomAccessFile f = new RandomAccessFile(p.resolve(PoolFiles.DATA).toFile(), "rw")) {
            for (int slot = 0; slot < Superblock.SLOTS; slot++) {
                byte[] b = new byte[Superblock.SLOT_SIZE];
                f.seek((long) slot * Superblock.SLOT_SIZE);
                f.readFully(b);
                ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                bb.putInt(8, 1);
                CRC32C c = new CRC32C();
                c.update(b, 0, Superblock.SLOT_SIZE - 4);
                bb.putInt(Superblock.SLOT_SIZE - 4, (int) c.getValue());
                f.seek((long) slot * Superblock.SLOT_SIZE);
                f.write(b);
            }
        }
        UnsupportedFormatException e =
                assertThrows(UnsupportedFormatException.class, () -> Pool.open(p, TestPools.quietOptions()));
        assertTrue(
                e.getMessage().contains("version 1")
                        && e.getMessage().contains("cannot be migrated")
                        && !e.getMessage().contains("upgrade"),
                e.getMessage());
    }

    private static List<Path> logs(Path pool) throws IOException {
        try (Stream<Path> s = Files.list(pool.resolve(PoolFiles.JOURNAL))) {
            return s.filter(f -> f.getFileName().toString().endsWith(".log"))
                    .sorted()
                    .toList();
        }
    }

    private static void deleteJournal(Path pool) throws IOException {
        for (Path f : logs(pool)) {
            Files.delete(f);
        }
    }

    private static byte[] head(Path data) throws IOException {
        byte[] b = new byte[2 * Superblock.SLOT_SIZE];
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "r")) {
            f.readFully(b);
        }
        return b;
    }

    private static Properties properties(Path pool) throws IOException {
        Properties props = new Properties();
        props.load(new StringReader(Files.readString(pool.resolve(PoolFiles.PROPERTIES), StandardCharsets.UTF_8)));
        return props;
    }
}
