package dev.vdisk.engine.replica;

/**
 * Where a replica's import stands.
 *
 * @param sourceSnap the source snapshot being imported, null if none is pending
 * @param sizeBytes its size
 * @param cursor end of the last applied chunk
 * @param doneBytes bytes covered so far (data and zeros)
 * @param receivedBytes bytes of data received by this process (zeros travel without payload)
 */
public record ImportProgress(String sourceSnap, long sizeBytes, long cursor, long doneBytes, long receivedBytes) {}
