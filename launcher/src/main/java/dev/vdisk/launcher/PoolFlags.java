package dev.vdisk.launcher;

import dev.vdisk.cli.shared.ByteSize;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.Option;

/** Flags of the modes that own a pool (node, standalone): the pool, the agent's directories and limits. */
final class PoolFlags {

    static final String DEFAULT_POOL = "/var/lib/vdisk";
    static final String DEFAULT_KUBELET_DIR = "/var/lib/kubelet";
    static final String DEFAULT_STATE_DIR = "/run/vdisk";
    static final int DEFAULT_MAX_VOLUMES = 256;
    static final int DEFAULT_MAX_SPLITS = 2;

    @Option(
            names = "--pool",
            paramLabel = "DIR",
            defaultValue = DEFAULT_POOL,
            order = 20,
            description = "directory of this node's pool, created if missing")
    String pool;

    @Option(
            names = "--pool-size",
            paramLabel = "SIZE",
            order = 21,
            description = "size of a new pool (sparse), e.g. 100G; default: 90%% of the free space of the filesystem "
                    + "holding --pool. An existing pool is opened as it is")
    ByteSize poolSize;

    @Option(
            names = "--map-cache-size",
            paramLabel = "SIZE",
            defaultValue = "64M",
            order = 29,
            description = "heap for the pool's cached map blocks (64 KiB each, one maps 256 MiB of a volume); others "
                    + "are read from disk and checked when used, at the cost of a read. Blocks changed since the last "
                    + "consistency point take as much again at most (16M at least)")
    ByteSize mapCacheSize;

    @Option(
            names = "--kubelet-dir",
            paramLabel = "DIR",
            defaultValue = DEFAULT_KUBELET_DIR,
            order = 22,
            description = "the only tree where staging and target paths are accepted")
    String kubeletDir;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            defaultValue = DEFAULT_STATE_DIR,
            order = 23,
            description = "the agent's FUSE mount, state file and lock")
    String stateDir;

    @Option(
            names = "--max-volumes",
            paramLabel = "N",
            defaultValue = "" + DEFAULT_MAX_VOLUMES,
            order = 24,
            description = "most volumes staged at once, reported as max_volumes_per_node")
    String maxVolumes;

    @Option(
            names = "--max-splits",
            paramLabel = "N",
            defaultValue = "" + DEFAULT_MAX_SPLITS,
            order = 25,
            description = "most clone splits running at once; more wait in a queue")
    String maxSplits;

    @Option(
            names = "--fuse-transport",
            paramLabel = "auto|uring|dev",
            defaultValue = "auto",
            order = 26,
            completionCandidates = Transports.class,
            description = "how the data path talks to the kernel's FUSE: uring (FUSE over io_uring, kernel 6.14+; "
                    + "sets the fuse module's enable_uring, which needs /sys writable), dev (read/write on /dev/fuse), "
                    + "or auto: uring where the kernel can, else dev with a warning")
    String fuseTransport;

    @Option(
            names = "--accept-journal-loss",
            order = 27,
            description = "open the pool even when its journal lost records that were fsynced (refused otherwise), "
                    + "keeping every record that survived; the log lists the volumes and byte ranges that may hold "
                    + "older data. Once, after deciding so: the next start needs no flag")
    boolean acceptJournalLoss;

    @Option(
            names = "--fd-holder",
            paramLabel = "PATH",
            order = 28,
            description = "the fd-holder's socket: the agent keeps its FUSE connection and loop devices there, so that "
                    + "volumes survive its restart; waits up to 10 s for it, else mounts afresh and puts its entries "
                    + "there once the holder is up (until then volumes do not survive a restart). FUSE then runs over "
                    + "/dev/fuse (auto picks dev; uring is refused). "
                    + "Without it a restart stages every volume again")
    Path fdHolder;

    /** What --fuse-transport completes to. */
    static final class Transports implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("auto", "uring", "dev").iterator();
        }
    }
}
