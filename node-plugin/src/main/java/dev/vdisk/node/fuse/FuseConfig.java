package dev.vdisk.node.fuse;

import java.util.Objects;

/**
 * Tuning of a {@link FuseSession}.
 *
 * @param workers       how many backend calls run at once (the loop device keeps up to its queue depth of requests
 *                      in flight). /dev/fuse transport: platform threads blocked in read(2) on /dev/fuse, each
 *                      serving one request at a time. io_uring transport: the call threads to which the ring
 *                      threads hand every backend call but a file's READ and WRITE, so that a call that blocks holds
 *                      only its own request; one /dev/fuse thread serves INIT, FORGET and INTERRUPT
 * @param maxWrite      largest READ/WRITE payload in bytes (also max_pages = maxWrite / 4096); 1 MiB lets a
 *                      1 MiB loop request travel as one FUSE request
 * @param cloneDevice   give each worker its own descriptor (FUSE_DEV_IOC_CLONE), so replies do not contend
 *                      on one descriptor's processing queue
 * @param maxBackground how many asynchronous requests (the loop's direct I/O arrives as such) the kernel keeps
 *                      in flight before queueing; the kernel default of 12 would cap the queue depth
 * @param observer      told about each data-path request (metrics); not tuning, but carried here because the
 *                      configuration is what reaches the session from whoever starts the node agent
 * @param transport     /dev/fuse, io_uring, or io_uring when available ({@link FuseTransport})
 * @param ringThreads   io_uring transport: threads per kernel queue (one queue per possible CPU), each with its
 *                      own ring. Backend calls run on the call threads ({@code workers}) and a file's I/O on the
 *                      ring, so a ring thread only moves requests and answers and does not block; one per queue
 *                      is enough (the datapath bench's engine peer runs 1 x 64). Default 4 x 8, kept from when
 *                      the engine was called on the ring threads
 * @param ringDepth     io_uring transport: request slots (ring entries, 1 MiB payload buffer each, mapped lazily)
 *                      per thread
 */
public record FuseConfig(
        int workers,
        int maxWrite,
        boolean cloneDevice,
        int maxBackground,
        FuseRequestObserver observer,
        FuseTransport transport,
        int ringThreads,
        int ringDepth) {
    public static final int DEFAULT_RING_THREADS = 4, DEFAULT_RING_DEPTH = 8;

    public FuseConfig {
        Objects.requireNonNull(observer, "observer");
        Objects.requireNonNull(transport, "transport");
        if (workers < 1
                || maxWrite < 4096
                || maxWrite % 4096 != 0
                || maxWrite > 1 << 20
                || maxBackground < 1
                || maxBackground > 65535
                || ringThreads < 1
                || ringDepth < 1
                || ringDepth > 4096) {
            throw new IllegalArgumentException("invalid FUSE configuration " + workers + "/" + maxWrite + "/"
                    + maxBackground + "/" + ringThreads + "/" + ringDepth);
        }
    }

    /** io_uring when the kernel has it, else /dev/fuse; default ring sizes. */
    public FuseConfig(int workers, int maxWrite, boolean cloneDevice, int maxBackground, FuseRequestObserver observer) {
        this(
                workers,
                maxWrite,
                cloneDevice,
                maxBackground,
                observer,
                FuseTransport.AUTO,
                DEFAULT_RING_THREADS,
                DEFAULT_RING_DEPTH);
    }

    /** Without an observer. */
    public FuseConfig(int workers, int maxWrite, boolean cloneDevice, int maxBackground) {
        this(workers, maxWrite, cloneDevice, maxBackground, FuseRequestObserver.NONE);
    }

    public static FuseConfig defaults() {
        return new FuseConfig(32, 1 << 20, true, 128);
    }

    public FuseConfig withWorkers(int n) {
        return new FuseConfig(n, maxWrite, cloneDevice, maxBackground, observer, transport, ringThreads, ringDepth);
    }

    public FuseConfig withCloneDevice(boolean clone) {
        return new FuseConfig(workers, maxWrite, clone, maxBackground, observer, transport, ringThreads, ringDepth);
    }

    public FuseConfig withMaxBackground(int n) {
        return new FuseConfig(workers, maxWrite, cloneDevice, n, observer, transport, ringThreads, ringDepth);
    }

    public FuseConfig withObserver(FuseRequestObserver o) {
        return new FuseConfig(workers, maxWrite, cloneDevice, maxBackground, o, transport, ringThreads, ringDepth);
    }

    public FuseConfig withTransport(FuseTransport t) {
        return new FuseConfig(workers, maxWrite, cloneDevice, maxBackground, observer, t, ringThreads, ringDepth);
    }

    /** The same with {@code maxWrite} (a taken-over connection keeps the max_write its INIT negotiated). */
    public FuseConfig withMaxWriteOf(int bytes) {
        return new FuseConfig(workers, bytes, cloneDevice, maxBackground, observer, transport, ringThreads, ringDepth);
    }

    public FuseConfig withRing(int threadsPerQueue, int depth) {
        return new FuseConfig(
                workers, maxWrite, cloneDevice, maxBackground, observer, transport, threadsPerQueue, depth);
    }
}
