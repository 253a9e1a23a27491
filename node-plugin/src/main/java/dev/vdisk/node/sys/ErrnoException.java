package dev.vdisk.node.sys;

import java.io.IOException;

/** A system call failed; carries the call's name and the {@code errno} it set. */
public final class ErrnoException extends IOException {
    private final int errno;

    public ErrnoException(String call, int errno) {
        super(call + " failed: " + Libc.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
