package dev.vdisk.node.agent;

import java.io.IOException;
import java.nio.file.FileSystemException;

/** Messages about the agent's own files that reach users: why a file operation failed, without its host path. */
final class FileErrors {
    private FileErrors() {}

    /** The reason a FileSystemException gives after its path, else the exception's kind. */
    static String reason(IOException e) {
        return e instanceof FileSystemException f && f.getReason() != null
                ? f.getReason()
                : e.getClass().getSimpleName();
    }
}
