package dev.vdisk.node.fuse;

import java.util.Objects;

/**
 * Tuning of a {@link FuseSession}.
 *
 * @param workers       platform threads blocked in read(2) on /dev/fuse; each serves one request at a time, so
 *                      this bounds how many backend calls run at once (the loop device keeps up to its queue
 *                      depth of requests in flight)
 * @param maxWrite      largest READ/WRITE payload in bytes (also max_pages = maxWrite / 4096); 1 MiB lets a
 *                      1 MiB loop request travel as one FUSE request
 * @param cloneDevice   give each worker its own descriptor (FUSE_DEV_IOC_CLONE), so replies do not contend
 *                      on one descriptor's processing queue
 * @param maxBackground how many asynchronous requests (the loop's direct I/O arrives as such) the kernel keeps
 *                      in flight before queueing; the kernel default of 12 would cap the queue depth
 * @param observer      told about each data-path request (metrics); not tuning, but carried here because the
 *                      configuration is what reaches the session from whoever starts the node agent
 */
public record FuseConfig(int workers, int maxWrite, boolean cloneDevice, int maxBackground, FuseRequestObserver observer) {
    public FuseConfig {
        Objects.requireNonNull(observer, "observer");
        if (workers < 1 || maxWrite < 4096 || maxWrite % 4096 != 0 || maxWrite > 1 << 20 || maxBackground < 1
                || maxBackground > 65535) {
            throw new IllegalArgumentException("invalid FUSE configuration " + workers + "/" + maxWrite + "/"
                    + maxBackground);
        }
    }

    /** Without an observer. */
    public FuseConfig(int workers, int maxWrite, boolean cloneDevice, int maxBackground) {
        this(workers, maxWrite, cloneDevice, maxBackground, FuseRequestObserver.NONE);
    }

    public static FuseConfig defaults() {
        return new FuseConfig(32, 1 << 20, true, 128);
    }

    public FuseConfig withWorkers(int n) {
        return new FuseConfig(n, maxWrite, cloneDevice, maxBackground, observer);
    }

    public FuseConfig withCloneDevice(boolean clone) {
        return new FuseConfig(workers, maxWrite, clone, maxBackground, observer);
    }

    public FuseConfig withObserver(FuseRequestObserver o) {
        return new FuseConfig(workers, maxWrite, cloneDevice, maxBackground, o);
    }
}
