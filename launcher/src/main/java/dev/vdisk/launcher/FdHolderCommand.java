package dev.vdisk.launcher;

import dev.vdisk.node.handover.DescriptorHolder;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vdisk-csi fd-holder --socket PATH [--log-level LEVEL]}: runs the descriptor holder (the node agent's
 * {@code --fd-holder}) until SIGTERM/SIGINT, then exits 0, closing what it held. Its flags are
 * {@link ModeCommands.FdHolder}.
 */
final class FdHolderCommand {
    private static final Logger log = LoggerFactory.getLogger(FdHolderCommand.class);

    private FdHolderCommand() {
    }

    /** Serves until a signal; what it held is released when it returns. */
    static void run(Path socket) throws Exception {
        ShutdownSignal signal = ShutdownSignal.install();
        try (DescriptorHolder holder = DescriptorHolder.start(socket, DescriptorHolder.Limits.DEFAULT)) {
            log.info("{} received; the fd holder stops", signal.await());
        }
    }
}
