package dev.vdisk.launcher;

/** A command line that cannot run; the message is the one-line reason shown to the user (exit code 2). */
final class UsageException extends Exception {
    UsageException(String reason) {
        super(reason);
    }
}
