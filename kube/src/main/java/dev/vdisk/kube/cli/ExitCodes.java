package dev.vdisk.kube.cli;

import dev.vdisk.cli.shared.Programs;

/** The plugin's exit codes, as {@code kubectl vdisk --help} documents them. */
final class ExitCodes {

    /** Done: the split succeeded (or was created, without --wait); status or tree shown. */
    static final int OK = 0;
    /** The split failed or was cancelled, or the API server refused a request; the reason is on stderr. */
    static final int FAILED = 1;
    /** Bad command line. */
    static final int USAGE = Programs.USAGE;
    /** The PVC does not exist, is not bound, or is not a vdisk-csi volume. */
    static final int NOT_FOUND = 3;

    private ExitCodes() {}
}
