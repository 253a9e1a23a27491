package dev.vdisk.engine.split;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.UnsupportedFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A split's persisted state, kept in the clone's catalog entry as extension {@link #TAG} and written with the clone's
 * map at every consistency point (so the cursor and the filled entries are always from the same point).
 *
 * <p>Bytes (little-endian): {@code u8 version=1 | u8 mode | u8 state | u8 idleOnly | u64 cursor | u64 filled |
 * u64 bytesRelocated | u64 rateBytesPerSecond | u64 busyOpsPerSecond | u16 errorLength | error (UTF-8)}.
 *
 * @param cursor the next segment index to examine; every hole below it that read data through the backing chain was
 *     filled in the map of the same consistency point (the cursor only moves after the fill)
 */
public record SplitCursor(
        SplitMode mode,
        State state,
        long cursor,
        long filled,
        long bytesRelocated,
        SplitOptions options,
        String error) {
    /** Catalog extension tag of the split record (tag 1 is the change set). */
    public static final int TAG = 2;

    private static final int VERSION = 1;

    /** What recovery does with the record: see {@link Splitter}'s commit protocol. */
    public enum State {
        /** Started and not stopped by the user: {@code Pool.splits().resume()} restarts it from the cursor. */
        RUNNING,
        /** Stopped by the pool running out of space: listed, restarted by the next {@code split} call. */
        PAUSED,
        /** Stopped by the user: listed, restarted by the next {@code split} call. */
        CANCELLED
    }

    SplitCursor at(long nextCursor, long nowFilled, long nowBytes) {
        return new SplitCursor(mode, state, nextCursor, nowFilled, nowBytes, options, error);
    }

    SplitCursor in(State s, String why) {
        return new SplitCursor(mode, s, cursor, filled, bytesRelocated, options, why);
    }

    public byte[] encode() {
        byte[] msg = error == null ? new byte[0] : error.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(msg.length, 1024);
        ByteBuffer b = ByteBuffer.allocate(4 + 5 * 8 + 2 + len).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) VERSION)
                .put((byte) mode.ordinal())
                .put((byte) state.ordinal())
                .put((byte) (options.idleOnly() ? 1 : 0))
                .putLong(cursor)
                .putLong(filled)
                .putLong(bytesRelocated)
                .putLong(options.rateBytesPerSecond())
                .putLong(options.busyOpsPerSecond())
                .putShort((short) len)
                .put(msg, 0, len);
        return b.array();
    }

    /** Decodes a record, or returns null for none; {@code owner} names the vdisk in errors. */
    public static SplitCursor decode(byte[] bytes, String owner) {
        if (bytes == null) {
            return null;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int version = b.get();
            if (version != VERSION) {
                throw new UnsupportedFormatException("split record of vdisk " + owner, version, VERSION, VERSION);
            }
            SplitMode mode = SplitMode.values()[b.get()];
            State state = State.values()[b.get()];
            boolean idle = b.get() != 0;
            long cursor = b.getLong();
            long filled = b.getLong();
            long bytes2 = b.getLong();
            long rate = b.getLong();
            long busy = b.getLong();
            byte[] msg = new byte[Short.toUnsignedInt(b.getShort())];
            b.get(msg);
            return new SplitCursor(
                    mode,
                    state,
                    cursor,
                    filled,
                    bytes2,
                    new SplitOptions(rate, idle, busy),
                    msg.length == 0 ? null : new String(msg, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            if (e instanceof EngineException ee) {
                throw ee;
            }
            throw new CorruptMetadataException(
                    "split record of vdisk " + owner + " is damaged (" + e + "); run vdisk check");
        }
    }
}
