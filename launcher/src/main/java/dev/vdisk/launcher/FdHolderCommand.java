package dev.vdisk.launcher;

import dev.vdisk.node.handover.DescriptorHolder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vdisk-csi fd-holder --socket PATH [--log-level LEVEL]}: runs the descriptor holder (the node agent's
 * {@code --fd-holder}) until SIGTERM/SIGINT, then exits 0, closing what it held. Its flags are
 * {@link ModeCommands.FdHolder}. If serving stops by itself (what it held is released then), it fails, so that the
 * process exits 1 and its container is restarted: a running process that serves nothing would never be.
 */
final class FdHolderCommand {
    private static final Logger LOG = LoggerFactory.getLogger(FdHolderCommand.class);

    private FdHolderCommand() {}

    /** Serves until a signal; what it held is released when it returns. */
    static void run(Path socket) throws Exception {
        ShutdownSignal signal = ShutdownSignal.install();
        try (DescriptorHolder holder = DescriptorHolder.start(socket, DescriptorHolder.Limits.DEFAULT)) {
            serveUntilStopped(holder, signal);
        }
    }

    /** Returns at a signal; throws if serving stopped by itself first. */
    static void serveUntilStopped(DescriptorHolder holder, ShutdownSignal signal) throws Exception {
        AtomicReference<String> failure = new AtomicReference<>();
        Thread.ofPlatform().daemon().name("fd-holder-watch").start(() -> {
            try {
                Optional<String> why = holder.awaitServingEnd();
                if (why.isPresent()) {
                    failure.set(why.get());
                    signal.release("serving stopped");
                }
            } catch (InterruptedException e) {
                // the process is stopping
            }
        });
        String why = signal.await();
        if (failure.get() != null) {
            throw new IOException("the fd holder stopped serving (" + failure.get() + "); exiting so that its"
                    + " container is restarted; agents put their entries again when it is back");
        }
        LOG.info("{} received; the fd holder stops", why);
    }
}
