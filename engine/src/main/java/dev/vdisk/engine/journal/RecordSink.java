package dev.vdisk.engine.journal;

import java.nio.ByteBuffer;

/** Receives replayed journal records in sequence order. */
@FunctionalInterface
public interface RecordSink {
    /** {@code payload} holds the written bytes for writes (valid during the call only), null for discards. */
    void record(long seq, long vdiskId, long offset, int length, byte type, ByteBuffer payload);
}
