package dev.vdisk.node.agent;

/** Another operation on the same volume held its lock for too long (the spec's "operation pending": ABORTED). */
public final class VolumeBusyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VolumeBusyException(String volumeId, long waitedSeconds) {
        super("an operation on volume " + volumeId + " is still running after " + waitedSeconds
                + " s; retry when it has finished");
    }
}
