package dev.vdisk.launcher;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a latch the main thread waits on.
 *
 * <p>Why not only a shutdown hook: a JVM that dies of a signal exits with 128+signal (143 for SIGTERM) even
 * when its hooks cleaned up perfectly. Kubernetes stops a pod with SIGTERM, and a clean stop should read as
 * one, so the signal is handled here, the server is shut down on the main thread and the process exits 0.
 * {@code sun.misc.Signal} is the JDK's supported way to do that (module jdk.unsupported).
 */
final class ShutdownSignal {

    private final CountDownLatch received = new CountDownLatch(1);
    private volatile String name = "";

    /** Installs the handlers; from now on SIGTERM/SIGINT release {@link #await()} instead of killing the JVM. */
    static ShutdownSignal install() {
        ShutdownSignal signal = new ShutdownSignal();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), s -> {
                signal.name = "SIG" + s.getName();
                signal.received.countDown();
            });
        }
        return signal;
    }

    /** Releases {@link #await()} as a signal would, with {@code why} as the name (the process must stop). */
    void release(String why) {
        name = why;
        received.countDown();
    }

    /** Blocks until a signal arrives; returns its name, e.g. SIGTERM. */
    String await() throws InterruptedException {
        received.await();
        return name;
    }
}
