package dev.vdisk.kube.cli;

/** Ends a command with this exit code and one line on stderr. */
final class PluginException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    PluginException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
