package dev.vdisk.engine;

import java.nio.ByteBuffer;

/**
 * Replay of one vdisk's journal records at open, by type: writes into the changes table, pointer records into the map
 * (judged first: {@link #preparePointer}), discards. Called by {@code PoolReplay} on the opening thread.
 */
record VdiskReplay(VdiskWrites writes, PointerReplay pointers, Discards discards) {
    void write(long seq, long offset, ByteBuffer payload) {
        writes.replay(seq, offset, payload);
    }

    /** Before replay: notes whether pointer record {@code seq} takes effect (see {@link PointerReplay#prepareReplay}). */
    void preparePointer(long seq, long offset, ByteBuffer payload) {
        pointers.prepareReplay(seq, offset, payload);
    }

    void pointer(long seq, long offset, ByteBuffer payload) {
        pointers.replay(seq, offset, payload);
    }

    void discard(long seq, long offset, long length) {
        discards.replay(seq, offset, length);
    }

    void end() {
        pointers.endReplay();
    }
}
