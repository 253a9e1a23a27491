package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.error.Reason;
import dev.vdisk.engine.journal.JournalFileHeader;
import dev.vdisk.engine.journal.JournalLoss;
import dev.vdisk.engine.journal.JournalRecord;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Journal damage is refused, a torn tail is not: writes acknowledged by a flush, then a crash, then the journal
 * damaged the ways an operator or a disk can (cut, deleted, emptied, overwritten), and torn the ways a crash can.
 */
class JournalDamageTest {
    private static final int SEG = 4096;
    private static final int RECORD = JournalRecord.HEADER + SEG;
    /** Every journal file starts with its header; records follow it. */
    private static final int H = JournalFileHeader.LENGTH;

    @TempDir
    Path dir;

    private Path pool() {
        return dir.resolve("p");
    }

    /** {@code n} one-segment writes to vdisk v (seeds 1..n), flushed, then a crash; returns the vdisk's id. */
    private long flushedWritesThenCrash(int n, PoolOptions o) {
        Pool pool = TestPools.create(pool(), 16L << 20, SEG, o);
        pool.vdisks().create("v", 8L << 20);
        Vdisk v = pool.vdisks().get("v");
        for (int i = 0; i < n; i++) {
            TestPools.write(v, (long) i * SEG, TestPools.filled(SEG, i + 1));
        }
        v.flush();
        long id = v.id();
        pool.abandonForTesting();
        return id;
    }

    private List<Path> journalFiles() throws IOException {
        try (Stream<Path> s = Files.list(pool().resolve("journal"))) {
            return s.filter(f -> f.toString().endsWith(".log")).sorted().toList(); // not journal.lock
        }
    }

    private JournalDamagedException refused(PoolOptions o, String... fragments) {
        JournalDamagedException e = assertThrows(JournalDamagedException.class, () -> Pool.open(pool(), o));
        assertEquals(Reason.CORRUPT, e.reason());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing in: " + e.getMessage());
        }
        return e;
    }

    private static void assertBlocks(Vdisk v, int n, IntPredicate lost) {
        for (int i = 0; i < n; i++) {
            byte[] expected = lost.test(i) ? new byte[SEG] : TestPools.filled(SEG, i + 1);
            assertArrayEquals(expected, TestPools.read(v, (long) i * SEG, SEG), "block " + i);
        }
    }

    /** A well-formed record, as Journal.append writes it. */
    private static byte[] record(long seq, long vdiskId, long offset, byte[] payload) {
        ByteBuffer b =
                ByteBuffer.allocate(JournalRecord.HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(JournalRecord.MAGIC_OFFSET, JournalRecord.MAGIC)
                .putLong(JournalRecord.SEQ_OFFSET, seq)
                .putLong(JournalRecord.VDISK_OFFSET, vdiskId)
                .putLong(JournalRecord.OFFSET_OFFSET, offset)
                .putInt(JournalRecord.LENGTH_OFFSET, payload.length)
                .putInt(JournalRecord.TYPE_OFFSET, JournalRecord.TYPE_WRITE);
        b.put(JournalRecord.HEADER, payload);
        CRC32C c = new CRC32C();
        c.update(b.array(), JournalRecord.SEQ_OFFSET, b.capacity() - JournalRecord.SEQ_OFFSET);
        b.putInt(JournalRecord.CRC_OFFSET, (int) c.getValue());
        return b.array();
    }

    private static void truncate(Path file, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    @Test
    void aJournalFileCutInHalfRefusesToOpenNamingTheFileAndOffset() throws IOException {
        flushedWritesThenCrash(11, journalOnly());
        Path file = journalFiles().getLast();
        assertEquals(H + 11L * RECORD, Files.size(file));
        truncate(file, Files.size(file) / 2);
        long at = H + (Files.size(file) - H) / RECORD * RECORD; // the first record the cut reached
        refused(
                journalOnly(),
                file.getFileName().toString(),
                "at byte " + at,
                "records 5..10 lost",
                "every record up to 10 was fsynced");
        assertEquals(
                (H + 11L * RECORD) / 2, Files.size(file), "nothing was truncated: the operator may still restore it");
    }

    @ParameterizedTest(name = "deleting journal file {0}")
    @ValueSource(strings = {"first", "middle", "last"})
    void aDeletedJournalFileRefusesToOpen(String which) throws IOException {
        PoolOptions o = new PoolOptions(4L << 20, 2L << 20, 3_600_000, 64L << 20, 1L << 30, 1).withWriteAnywhere(false);
        flushedWritesThenCrash(1200, o); // about 4.9 MB of records: three files of 2 MiB
        List<Path> files = journalFiles();
        assertEquals(3, files.size(), files.toString());
        Path gone =
                switch (which) {
                    case "first" -> files.getFirst();
                    case "middle" -> files.get(1);
                    default -> files.getLast();
                };
        Files.delete(gone);
        switch (which) {
            case "first" ->
                refused(
                        o,
                        "journal: no journal file holds records 0..",
                        "a file is missing before " + files.get(1).getFileName());
            case "middle" ->
                refused(
                        o,
                        files.getFirst().getFileName() + " at byte " + Files.size(files.getFirst()),
                        "a file is missing before " + files.getLast().getFileName());
            default ->
                refused(
                        o,
                        files.get(1).getFileName() + " at byte " + Files.size(files.get(1)),
                        "every record up to 1199 was fsynced");
        }
    }

    @Test
    void anEmptiedJournalDirectoryRefusesToOpen() throws IOException {
        flushedWritesThenCrash(11, journalOnly());
        for (Path f : journalFiles()) {
            Files.delete(f);
        }
        refused(journalOnly(), "the journal ends at record 0", "every record up to 10 was fsynced");
    }

    @Test
    void garbageInTheMiddleFollowedByValidRecordsIsDamageNotATornTail() throws IOException {
        flushedWritesThenCrash(11, journalOnly());
        Path file = journalFiles().getLast();
        byte[] garbage = new byte[4096];
        new Random(15).nextBytes(garbage);
        long at = H + 5L * RECORD + 100; // inside record 5's payload: its header survives
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            f.write(garbage);
        }
        JournalDamagedException e = refused(
                journalOnly(),
                file.getFileName().toString(),
                "at byte " + (H + 5L * RECORD),
                "bad CRC, and valid records follow from record 7");
        assertEquals(5, e.losses().getFirst().fromSeq());
        assertEquals(7, e.losses().getFirst().toSeq(), "record 6's header was overwritten as well");
        assertEquals(H + 11L * RECORD, Files.size(file), "nothing was truncated");
    }

    @Test
    void aJournalEndingBeforeTheReplayPositionRefusesToOpen() throws IOException {
        long replay;
        try (Pool pool = TestPools.create(pool(), 16L << 20, SEG, journalOnly())) {
            pool.vdisks().create("v", 8L << 20);
            for (int i = 0; i < 11; i++) {
                TestPools.write(pool.vdisks().get("v"), (long) i * SEG, TestPools.filled(SEG, i + 1));
            }
        } // a clean close: everything destaged, the replay position is past the last record
        try (Pool pool = Pool.open(pool(), journalOnly())) {
            replay = pool.journal().nextSeq();
        }
        assertEquals(11, replay);
        Path file = journalFiles().getLast();
        truncate(file, Files.size(file) / 2);
        refused(journalOnly(), file.getFileName().toString(), "before record 11", "no fsynced record is lost");
    }

    @Test
    void aPartialLastRecordIsATornTailThatLosesOnlyThatUnflushedWrite() throws IOException {
        long id = flushedWritesThenCrash(11, journalOnly());
        Path file = journalFiles().getLast();
        byte[] torn = record(11, id, 11L * SEG, TestPools.filled(SEG, 12));
        Files.write(file, Arrays.copyOf(torn, RECORD / 2), StandardOpenOption.APPEND);
        try (Pool pool = Pool.open(pool(), journalOnly())) {
            assertBlocks(pool.vdisks().get("v"), 12, i -> i == 11);
            assertTrue(pool.journalLosses().isEmpty());
            assertTrue(pool.check().clean());
        }
        assertEquals(H + 11L * RECORD, Files.size(file), "truncated exactly where the torn record began");
    }

    @Test
    void unsyncedRecordsPastTheSyncMarkAreATornTailEvenWithValidOnesAfterThem() throws IOException {
        // a power loss can keep a later unsynced page and lose an earlier one: a hole, then a valid record
        long id = flushedWritesThenCrash(11, journalOnly());
        Path file = journalFiles().getLast();
        Files.write(file, new byte[RECORD], StandardOpenOption.APPEND);
        Files.write(file, record(12, id, 12L * SEG, TestPools.filled(SEG, 13)), StandardOpenOption.APPEND);
        try (Pool pool = Pool.open(pool(), journalOnly())) {
            assertBlocks(pool.vdisks().get("v"), 13, i -> i >= 11);
            assertTrue(pool.journalLosses().isEmpty());
        }
        assertEquals(H + 11L * RECORD, Files.size(file));
    }

    @Test
    void acceptingTheLossKeepsEveryRecordThatSurvivedAndSaysWhichRangesAreOlder() throws IOException {
        long id = flushedWritesThenCrash(11, journalOnly());
        Path file = journalFiles().getLast();
        byte[] garbage = new byte[4096];
        new Random(15).nextBytes(garbage);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(H + 5L * RECORD + 100);
            f.write(garbage);
        }
        PoolOptions accept = journalOnly().withAcceptJournalLoss(true);
        try (Pool pool = Pool.open(pool(), accept)) {
            assertBlocks(pool.vdisks().get("v"), 11, i -> i == 5 || i == 6);
            List<JournalLoss> losses = pool.journalLosses();
            assertEquals(1, losses.size());
            assertEquals(
                    List.of(new JournalLoss.Claim(5, id, 5L * SEG, SEG, false)),
                    losses.getFirst().claims());
            List<String> report = JournalLossReport.lines(losses, pool.vdisks().namesById());
            assertEquals(3, report.size(), report.toString());
            assertTrue(report.get(1).contains("vdisk v bytes 20480..24575 may hold older data"), report.toString());
            assertTrue(
                    report.get(2).contains("unknown ranges of every vdisk (v) written by 1 of records 5..6"),
                    report.toString());
            assertTrue(pool.check().clean());
        }
        try (Pool pool = Pool.open(pool(), journalOnly())) {
            assertBlocks(pool.vdisks().get("v"), 11, i -> i == 5 || i == 6);
            assertTrue(pool.journalLosses().isEmpty(), "the damaged journal was replaced after the loss was accepted");
        }
    }

    @Test
    void acceptingALostTailSaysTheRangesAreUnknown() throws IOException {
        flushedWritesThenCrash(11, journalOnly());
        Path file = journalFiles().getLast();
        truncate(file, H + 4L * RECORD);
        try (Pool pool = Pool.open(pool(), journalOnly().withAcceptJournalLoss(true))) {
            assertBlocks(pool.vdisks().get("v"), 11, i -> i >= 4);
            List<String> report =
                    JournalLossReport.lines(pool.journalLosses(), pool.vdisks().namesById());
            assertEquals(2, report.size(), report.toString());
            assertTrue(
                    report.get(1).contains("unknown ranges of every vdisk (v) written by records 4..10"),
                    report.toString());
            TestPools.write(pool.vdisks().get("v"), 0, TestPools.filled(SEG, 99));
            pool.vdisks().get("v").flush();
            pool.abandonForTesting(); // the journal goes on after the loss: a crash now replays the new write
        }
        try (Pool pool = Pool.open(pool(), journalOnly())) {
            assertArrayEquals(
                    TestPools.filled(SEG, 99), TestPools.read(pool.vdisks().get("v"), 0, SEG));
        }
    }

    private PoolOptions threeFiles() {
        return new PoolOptions(4L << 20, 2L << 20, 3_600_000, 64L << 20, 1L << 30, 1).withWriteAnywhere(false);
    }

    private static Map<Path, Long> sizes(List<Path> files) throws IOException {
        Map<Path, Long> out = new TreeMap<>();
        for (Path f : files) {
            out.put(f, Files.size(f));
        }
        return out;
    }

    @Test
    void aLostFirstFileIsDamageEvenWhenTheSyncMarkIsLostToo() throws IOException {
        // a lagging or lost mark must not turn a missing first file into a "torn tail" that deletes every later file
        PoolOptions o = threeFiles();
        flushedWritesThenCrash(1200, o);
        List<Path> files = journalFiles();
        assertEquals(3, files.size(), files.toString());
        Files.delete(files.getFirst());
        Files.delete(pool().resolve("journal.synced"));
        Map<Path, Long> before = sizes(journalFiles());
        refused(
                o,
                "journal: no journal file holds records 0..",
                "a file is missing before " + files.get(1).getFileName());
        assertEquals(before, sizes(journalFiles()), "the flushed records of the later files were kept");
    }

    @Test
    void aFileWhoseHeaderWasLostBelowTheSyncMarkIsDamageAndNothingIsDeleted() throws IOException {
        PoolOptions o = threeFiles();
        flushedWritesThenCrash(1200, o);
        List<Path> files = journalFiles();
        try (RandomAccessFile f = new RandomAccessFile(files.get(1).toFile(), "rw")) {
            f.write(new byte[H]); // the header's block read back as zeros
        }
        Map<Path, Long> before = sizes(files);
        refused(
                o,
                files.get(1).getFileName() + " at byte 0: no file header",
                "valid records follow from record "
                        + files.get(2)
                                .getFileName()
                                .toString()
                                .replaceFirst("^0+", "")
                                .replace(".log", ""));
        assertEquals(before, sizes(journalFiles()), "neither that file nor the one after it was deleted");
    }

    @Test
    void aNewestFileWhoseHeaderNeverReachedTheDiskIsATornTailAndGetsItsHeaderBack() throws IOException {
        flushedWritesThenCrash(11, journalOnly());
        Path created = journalFiles().getLast().resolveSibling(String.format("%020d.log", 11));
        Files.write(created, new byte[20]); // rotation created it, then the crash: no header, no record
        try (Pool pool = Pool.open(pool(), journalOnly())) {
            assertTrue(pool.journalLosses().isEmpty());
            assertEquals(H, Files.size(created), "the file was given its header back, empty");
            assertBlocks(pool.vdisks().get("v"), 11, i -> false);
            TestPools.write(pool.vdisks().get("v"), 11L * SEG, TestPools.filled(SEG, 12));
            pool.vdisks().get("v").flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(pool(), journalOnly())) {
            assertBlocks(pool.vdisks().get("v"), 12, i -> false);
        }
    }

    @Test
    void writesFlushedAfterAcceptingAJournalEndingBeforeTheReplayPositionSurviveTheNextCrash() throws IOException {
        // once the journal ended before the replay position, new records must not start after a gap that the next
        // open takes for a torn tail
        try (Pool pool = TestPools.create(pool(), 16L << 20, SEG, journalOnly())) {
            pool.vdisks().create("v", 8L << 20);
            for (int i = 0; i < 11; i++) {
                TestPools.write(pool.vdisks().get("v"), (long) i * SEG, TestPools.filled(SEG, i + 1));
            }
        }
        Path file = journalFiles().getLast();
        truncate(file, H + 4L * RECORD);
        try (Pool pool = Pool.open(pool(), journalOnly().withAcceptJournalLoss(true))) {
            assertFalse(pool.journalLosses().isEmpty());
            TestPools.write(pool.vdisks().get("v"), 20L * SEG, TestPools.filled(SEG, 21));
            pool.vdisks().get("v").flush();
            pool.abandonForTesting();
        }
        try (Pool pool = Pool.open(pool(), journalOnly())) {
            assertTrue(pool.journalLosses().isEmpty());
            assertBlocks(pool.vdisks().get("v"), 11, i -> false); // destaged before the journal was cut
            assertArrayEquals(
                    TestPools.filled(SEG, 21), TestPools.read(pool.vdisks().get("v"), 20L * SEG, SEG));
        }
    }

    /** Every write through the journal: these tests damage the journal's records and count their bytes. */
    private static PoolOptions journalOnly() {
        return TestPools.quietOptions().withWriteAnywhere(false);
    }
}
