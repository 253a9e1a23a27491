package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.vdisk.node.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The threads serving one {@link FuseSession}'s connection and what only they use: the cloned /dev/fuse descriptors
 * and the /dev/fuse workers' buffers (ring threads own their rings and buffers). Threads are platform daemons named
 * {@code fuse-<mount>-N} (/dev/fuse), {@code fuse-<mount>-qQ-N} (io_uring queue Q) and {@code fuse-<mount>-call-N}
 * (io_uring: {@code workers} threads that run the backend calls the ring threads hand them). Started and stopped by the
 * session's control calls (mount, adopt, close), never by a serving thread.
 */
final class FuseThreads {
    private final String name;
    private final int mainFd;
    private final List<Integer> workerFds = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final LongAdder ringRequests = new LongAdder();
    /** io_uring transport: the threads that make backend calls which may block (the engine's); null until then. */
    private ExecutorService calls;

    /** @param name the mount point's file name, for thread names */
    FuseThreads(String name, int mainFd) {
        this.name = name;
        this.mainFd = mainFd;
    }

    /** Takes over a predecessor's worker descriptors ({@code fds[0]} is the main one, kept by the session). */
    void adoptDescriptors(int[] fds) {
        for (int i = 1; i < fds.length; i++) {
            workerFds.add(fds[i]);
        }
    }

    /** Every descriptor a worker reads: main first, then the clones. */
    int[] descriptors() {
        int[] fds = new int[1 + workerFds.size()];
        fds[0] = mainFd;
        for (int i = 0; i < workerFds.size(); i++) {
            fds[i + 1] = workerFds.get(i);
        }
        return fds;
    }

    /** Starts {@code count} /dev/fuse workers, each on its own clone of the main descriptor if configured. */
    void startDev(FuseSession session, ImageDirectory directory, FuseConfig config, long time, int count)
            throws IOException {
        try (Arena scratch = Arena.ofConfined()) {
            for (int i = 0; i < count; i++) {
                int fd = mainFd;
                if (config.cloneDevice() && i > 0) {
                    fd = Libc.checkedOpen("/dev/fuse", Libc.O_RDWR);
                    workerFds.add(fd);
                    MemorySegment arg = scratch.allocateFrom(JAVA_INT, mainFd);
                    Libc.checkedIoctl(fd, FuseProtocol.FUSE_DEV_IOC_CLONE, arg, "ioctl(FUSE_DEV_IOC_CLONE)");
                }
                threads.add(devThread(i, new FuseWorker(fd, session, directory, config, arena, time)));
            }
        }
        threads.forEach(Thread::start);
    }

    /** Starts one /dev/fuse worker per descriptor (a taken-over connection). */
    void startWorkers(FuseSession session, ImageDirectory directory, FuseConfig config, long time, int[] fds) {
        for (int i = 0; i < fds.length; i++) {
            threads.add(devThread(i, new FuseWorker(fds[i], session, directory, config, arena, time)));
        }
        threads.forEach(Thread::start);
    }

    private Thread devThread(int i, FuseWorker worker) {
        return Thread.ofPlatform().daemon().name("fuse-" + name + "-" + i).unstarted(worker);
    }

    /**
     * Registers ring entries on every kernel queue, each queue served by {@code ringThreads} threads; returns once
     * all are registered (the kernel holds requests until then) or throws.
     */
    void startRing(FuseSession session, ImageDirectory directory, FuseConfig config, long time)
            throws IOException, InterruptedException {
        List<UringQueueWorker> ring = new ArrayList<>();
        calls = Executors.newFixedThreadPool(
                config.workers(),
                Thread.ofPlatform().daemon().name("fuse-" + name + "-call-", 0).factory());
        int queues = UringSupport.possibleCpus();
        for (int q = 0; q < queues; q++) {
            for (int t = 0; t < config.ringThreads(); t++) {
                UringQueueWorker w = new UringQueueWorker(
                        mainFd, q, config.ringDepth(), session, directory, config, time, ringRequests, calls);
                Thread thread = Thread.ofPlatform()
                        .daemon()
                        .name("fuse-" + name + "-q" + q + "-" + t)
                        .unstarted(w);
                threads.add(thread);
                ring.add(w);
                thread.start();
            }
        }
        for (UringQueueWorker w : ring) {
            try {
                w.registered.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IOException(
                        "FUSE over io_uring: registering ring entries failed: "
                                + e.getCause().getMessage(),
                        e.getCause());
            } catch (TimeoutException e) {
                throw new IOException("FUSE over io_uring: ring entries not registered within 10 s");
            }
        }
    }

    /** Requests that arrived through io_uring entries. */
    long ringRequests() {
        return ringRequests.sum();
    }

    /** Waits up to {@code millis} for every thread to end; whether they all did. */
    boolean join(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        for (Thread t : threads) {
            try {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        if (calls != null && stopped()) {
            calls.shutdown(); // every call answered: a ring thread ends only after committing its calls' answers
        }
        return stopped();
    }

    boolean stopped() {
        return threads.stream().noneMatch(Thread::isAlive);
    }

    void closeDescriptors() {
        for (int fd : workerFds) {
            Libc.close(fd);
        }
        Libc.close(mainFd);
    }

    /** Frees the workers' buffers; only once {@link #stopped}. */
    void freeBuffers() {
        arena.close();
    }
}
