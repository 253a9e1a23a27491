package dev.vdisk.node.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.backend.MemoryBackend;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.MountTable;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.LogCapture;
import dev.vdisk.node.testing.Privileged;
import dev.vdisk.node.testing.TestHolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/** What a session with a descriptor store puts into it, and when it does not hand over, on a real kernel. */
@ExtendWith(Privileged.class)
class FuseSessionHandoverTest {
    private static final Path ROOT = Path.of("target/fuse-handover-tests").toAbsolutePath();
    private static final FuseConfig CONFIG = FuseConfig.defaults().withWorkers(3);

    private Path mount;
    private final TestHolder holder = new TestHolder();

    @BeforeEach
    void setUp(TestInfo info) throws IOException {
        Path dir = ROOT.resolve(info.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime());
        Files.createDirectories(dir);
        mount = dir.resolve("fuse");
    }

    @AfterEach
    void tearDown() throws IOException {
        holder.close();
        LeakCheck.unmountAllUnder(mount.getParent());
        LeakCheck.assertNothingLeftUnder(mount.getParent());
    }

    @Test
    void theStoreHoldsEveryWorkerDescriptorAndARecordThatNamesAnImageBeforeItIsVisible() throws Exception {
        try (FuseSession session = FuseSession.mount(mount, CONFIG, Optional.of(holder))) {
            assertTrue(session.handsOver());
            assertEquals(FuseTransport.DEV, session.transport(), "AUTO resolves to /dev/fuse with a holder");
            DescriptorStore.Entry entry = holder.get(FuseSession.FUSE_ENTRY).orElseThrow();
            for (int fd : entry.fds()) {
                Libc.close(fd);
            }
            assertEquals(3, entry.fds().length, "main descriptor and both clones");
            FuseSessionRecord record = FuseSessionRecord.decode(entry.record());
            assertEquals(mount, record.mountPoint());
            assertEquals(MountTable.minorOf(mount, "fuse.vdisk").getAsLong(), record.connection());
            assertEquals(1 << 20, record.maxWrite());
            assertEquals(Map.of(), record.images());

            session.addImage("pvc-a", new MemoryBackend(1 << 20));
            record = FuseSessionRecord.decode(
                    holder.record(FuseSession.FUSE_ENTRY).orElseThrow());
            assertEquals(Map.of("pvc-a", 2L), record.images());
            assertEquals(3, record.nextInode());
            assertEquals(1 << 20, Files.size(mount.resolve("pvc-a")));

            session.removeImage("pvc-a");
            record = FuseSessionRecord.decode(
                    holder.record(FuseSession.FUSE_ENTRY).orElseThrow());
            assertEquals(Map.of(), record.images());
            assertEquals(3, record.nextInode(), "inodes are never handed out twice");
        }
        assertEquals(List.of(), holder.names(), "a stop with no image unmounts and drops the entry");
        assertFalse(MountTable.isMountPoint(mount));
    }

    @Test
    void aKernelThatCannotResendRunsWithoutHandOver() throws Exception {
        try (LogCapture log = new LogCapture();
                FuseSession session = FuseSession.mount(mount, CONFIG, Optional.of(holder), fd -> Libc.EINVAL)) {
            assertFalse(session.handsOver());
            assertEquals(List.of(), holder.names(), "nothing is put into the store");
            assertEquals(1, log.lines("cannot resend FUSE requests (6.9+)"), log.text());
            assertEquals(1, log.lines("volumes will not survive a restart of the node plugin"), log.text());
            session.addImage("pvc-b", new MemoryBackend(1 << 20));
        }
        assertFalse(MountTable.isMountPoint(mount), "without hand-over, close unmounts even with an image");
    }

    @Test
    void ioUringWithAHolderIsRefusedBeforeMounting() {
        IOException e = assertThrows(IOException.class, () -> FuseSession.mount(
                        mount, CONFIG.withTransport(FuseTransport.URING), Optional.of(holder))
                .close());
        assertTrue(e.getMessage().contains("--fuse-transport uring cannot be used with --fd-holder"), e.getMessage());
        assertFalse(MountTable.isMountPoint(mount));
        assertEquals(List.of(), holder.names());
    }

    @Test
    void anEntryOfAnotherConnectionIsNotTakenOver() throws Exception {
        try (FuseSession session = FuseSession.mount(mount, CONFIG, Optional.of(holder))) {
            DescriptorStore.Entry entry = holder.get(FuseSession.FUSE_ENTRY).orElseThrow();
            FuseSessionRecord r = FuseSessionRecord.decode(entry.record());
            FuseSessionRecord other = new FuseSessionRecord(
                    r.mountPoint(),
                    r.connection() + 1000,
                    r.maxWrite(),
                    r.flags(),
                    r.flags2(),
                    r.time(),
                    r.nextInode(),
                    r.images());
            IOException e = assertThrows(
                    IOException.class,
                    () -> FuseSession.adopt(
                            CONFIG, holder, new DescriptorStore.Entry(entry.fds(), other.encode()), Map.of()));
            assertTrue(e.getMessage().contains("is no longer FUSE connection"), e.getMessage());
            assertTrue(session.handsOver());
        }
    }
}
