package dev.vdisk.launcher;

import dev.vdisk.node.handover.DescriptorHolder;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vdisk-csi fd-holder --socket PATH [--log-level LEVEL]}: runs the descriptor holder (the node agent's
 * {@code --fd-holder}) until SIGTERM/SIGINT, then exits 0, closing what it held. Its own small parser: the mode has
 * two flags and none of the CSI modes' settings.
 */
final class FdHolderCommand {
    static final String MODE = "fd-holder";

    private static final Logger log = LoggerFactory.getLogger(FdHolderCommand.class);

    /** What {@code fd-holder} was given. */
    record Options(Path socket, String logLevel) {
    }

    private FdHolderCommand() {
    }

    static Options parse(String[] args) throws UsageException {
        Path socket = null;
        String logLevel = "info";
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            int eq = arg.indexOf('=');
            String flag = eq < 0 ? arg : arg.substring(0, eq);
            if (!flag.equals("--socket") && !flag.equals("--log-level")) {
                throw new UsageException(arg.startsWith("--") ? "unknown flag " + flag + " for fd-holder (it takes"
                        + " --socket and --log-level)" : "unexpected argument '" + arg + "' (flags start with --)");
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                throw new UsageException(flag + " needs a value");
            }
            if (flag.equals("--socket")) {
                if (value.isBlank()) {
                    throw new UsageException("--socket needs a path");
                }
                socket = Path.of(value).toAbsolutePath().normalize();
            } else {
                logLevel = value;
            }
        }
        if (socket == null) {
            throw new UsageException("fd-holder needs --socket PATH, e.g. --socket /run/vdisk/fd-holder/holder.sock");
        }
        return new Options(socket, logLevel);
    }

    /** Serves until a signal; what it held is released when it returns. */
    static void run(Options options) throws Exception {
        ShutdownSignal signal = ShutdownSignal.install();
        try (DescriptorHolder holder = DescriptorHolder.start(options.socket(), DescriptorHolder.Limits.DEFAULT)) {
            log.info("{} received; the fd holder stops", signal.await());
        }
    }
}
