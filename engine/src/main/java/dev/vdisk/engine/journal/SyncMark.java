package dev.vdisk.engine.journal;

import dev.vdisk.engine.error.EngineIOException;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.zip.CRC32C;

/**
 * The journal's sync mark: the sequence number below which every record was fsynced, rewritten in place by each
 * group commit after its fsyncs and before it reports them (a plain positional write, not synced itself). Recovery
 * uses it to tell a torn tail from damage: a record below the mark that is bad or missing was fsynced, so it is
 * damage, never a torn write. The mark lives in the pool directory ({@code journal.synced}), not with the journal, so
 * that losing the journal's directory or device is noticed. Never ahead of the journal: after a kill it is exact;
 * after a power loss it may lag (the kernel writes it back within its writeback delay, 30 s by default, or at the
 * pool's close, which syncs it). A missing or invalid mark (older pools, or the file deleted) counts as absent: only
 * the replay position then bounds what was fsynced. Rebuilt at every open; not authoritative. Little-endian.
 *
 * <pre>
 * offset length field
 *      0      4 MAGIC "VJSM"
 *      4      4 CRC32C of bytes 8..15
 *      8      8 sequence number: every record below it was fsynced
 * </pre>
 */
public final class SyncMark implements AutoCloseable {
    public static final String FILE = "journal.synced";
    static final int MAGIC = 0x4d534a56; // "VJSM"
    private static final int MAGIC_OFFSET = 0;
    private static final int CRC_OFFSET = MAGIC_OFFSET + 4;
    private static final int SEQ_OFFSET = CRC_OFFSET + 4;
    static final int BYTES = SEQ_OFFSET + 8;

    private final Path path;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BYTES).order(ByteOrder.LITTLE_ENDIAN);
    /** Reopened when an interrupt closed it (the writer is a group-commit leader on a thread we do not own). */
    private FileChannel channel;

    private SyncMark(Path path) {
        this.path = path;
    }

    /** Reads the mark at {@code path}: empty when the file is missing, short or fails its CRC. */
    public static OptionalLong read(Path path) {
        byte[] b;
        try {
            b = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new EngineIOException("cannot read the journal sync mark " + path + ": " + e, e);
        }
        if (b.length < BYTES) {
            return OptionalLong.empty();
        }
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (in.getInt(MAGIC_OFFSET) != MAGIC || in.getInt(CRC_OFFSET) != crc(in)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(in.getLong(SEQ_OFFSET));
    }

    private static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate().position(SEQ_OFFSET).limit(BYTES));
        return (int) c.getValue();
    }

    /** Opens (creating) the mark for writing; nothing is written yet. */
    static SyncMark open(Path path) {
        SyncMark m = new SyncMark(path);
        m.channel = m.openChannel();
        return m;
    }

    private FileChannel openChannel() {
        try {
            return PrivateFiles.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new EngineIOException("cannot open the journal sync mark " + path + ": " + e, e);
        }
    }

    /** Records that every record below {@code seq} is durable; {@code force} also fsyncs the mark. */
    synchronized void write(long seq, boolean force) {
        buf.clear();
        buf.putInt(MAGIC_OFFSET, MAGIC).putLong(SEQ_OFFSET, seq);
        buf.putInt(CRC_OFFSET, crc(buf));
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    buf.position(0);
                    while (buf.hasRemaining()) {
                        channel.write(buf, buf.position());
                    }
                    if (force) {
                        channel.force(true);
                    }
                    return;
                } catch (ClosedChannelException e) {
                    interrupted |= Thread.interrupted();
                    channel = openChannel();
                }
            }
        } catch (IOException e) {
            throw new EngineIOException("write of the journal sync mark " + path + " failed: " + e, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was pending: writes went through the page cache already
        }
    }
}
