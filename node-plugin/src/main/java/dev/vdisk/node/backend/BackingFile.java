package dev.vdisk.node.backend;

/**
 * A backend whose bytes are those of one open file at the same offsets, so that the data path may read and
 * write the file itself (io_uring READ/WRITE straight into its request buffers) instead of calling {@link
 * BlockBackend#read}/{@link BlockBackend#write} on a worker thread. Flush, discard and size still go through
 * the backend. Wrappers that add behaviour to reads and writes (throttling) must not implement this.
 */
public interface BackingFile {

    /**
     * The descriptor to read and write, open for both, valid until the backend is closed (which happens only
     * after its image is detached). With O_DIRECT, buffers, offsets and lengths are 4 KiB aligned, as the data
     * path's are.
     */
    int descriptor();
}
