package dev.vdisk.launcher;

/**
 * A command line that cannot run; the message is the one-line reason shown to the user (exit code 2), after the
 * command it concerns ({@code vdisk-csi} or {@code vdisk-csi node}).
 */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String command;

    UsageException(String reason) {
        this(LaunchCommandLine.PROGRAM, reason);
    }

    UsageException(String command, String reason) {
        super(reason);
        this.command = command;
    }

    /** The line on stderr: {@code vdisk-csi node: reason (see vdisk-csi node --help)}, as all three programs say it. */
    String line() {
        return command + ": " + getMessage() + " (see " + command + " --help)";
    }

    UsageException in(String qualifiedCommand) {
        return new UsageException(qualifiedCommand, getMessage());
    }
}
