package dev.vdisk.cli;

import dev.vdisk.api.agent.SplitStatusFile;
import dev.vdisk.engine.CorruptMetadataException;
import dev.vdisk.engine.EngineException;
import dev.vdisk.engine.JournalDamagedException;
import dev.vdisk.engine.Extent;
import dev.vdisk.engine.ExtentScan;
import dev.vdisk.engine.Lineage;
import dev.vdisk.engine.SnapshotInfo;
import dev.vdisk.engine.SplitMode;
import dev.vdisk.engine.SplitOptions;
import dev.vdisk.engine.SplitPhase;
import dev.vdisk.engine.SplitProgress;
import dev.vdisk.engine.SplitTask;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolImport;
import dev.vdisk.engine.PoolInfo;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import dev.vdisk.engine.VdiskInfo;
import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The offline {@code vdisk} command: pool and vdisk administration and raw data transfer on a pool that no other
 * process has open. Exit status 0 on success, 1 when the work failed (one-line reason on stderr) or the check found
 * problems, 2 for a usage error, 3 when the pool's metadata is damaged, 4 when its journal lost fsynced records (the
 * pool is not opened unless {@code --accept-journal-loss} is given; then the command runs after the pool logged, on
 * stderr, the volume ranges that may hold older data).
 *
 * <pre>
 * vdisk pool create DIR --size 1T [--device /dev/X] [--segment-size 64K] [--journal PATH]
 * vdisk pool import DIR [--device /dev/X] [--journal PATH] [--accept-journal-loss]
 * vdisk [--pool DIR] pool info
 * vdisk [--pool DIR] create NAME --size 100G
 * vdisk [--pool DIR] ls
 * vdisk [--pool DIR] rm NAME
 * vdisk [--pool DIR] resize NAME --size 200G
 * vdisk [--pool DIR] write NAME [--offset 1M] --from FILE|-
 * vdisk [--pool DIR] read NAME [--offset 1M] [--length 8M] --to FILE|-
 * vdisk [--pool DIR] check
 * vdisk [--pool DIR] snapshot VDISK SNAP
 * vdisk [--pool DIR] clone SNAP NAME
 * vdisk [--pool DIR] diff BASE TARGET [--offset SIZE]     (one extent per line: offset length changed|deallocated)
 * vdisk [--pool DIR] allocated SNAP [--offset SIZE]       (one extent per line: offset length)
 * vdisk [--pool DIR] tree [NAME]                          (lineage with own and shared sizes)
 * vdisk [--pool DIR] split NAME --mode share|copy [--rate 200MiB/s] [--idle-only] [--wait]
 * vdisk [--pool DIR] split --status
 * </pre>
 * {@code split} detaches a clone from its backing snapshot with a live progress bar (throughput, ETA) on stderr. The
 * command opens the pool offline, and the split runs in this process, so it always waits for the end ({@code --wait}
 * is accepted for the node agent's spelling, where a split runs in the agent and the caller may leave); an
 * interrupted split (Ctrl-C, kill) keeps its cursor and continues from it on the next {@code split} of that clone.
 * {@code split --status} lists the splits recorded in the pool (running before a restart, paused, cancelled) with
 * their cursor; when a node agent holds the pool open, it lists the agent's running, queued and finished splits from
 * the status file the agent rewrites every second ({@link SplitStatusFile}).
 * {@code rm} deletes snapshots too; {@code ls} lists vdisks then snapshots; {@code read} reads snapshots too.
 * {@code --pool} defaults to the environment variable {@code VDISK_POOL}.
 * {@code pool import} rebuilds a missing {@code pool.properties} from the pool's own files after a clean check
 * ({@link PoolImport}); it is what {@code pool create} points to instead of creating over an existing pool.
 */
public final class VdiskCli {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int DAMAGED = 3;
    static final int JOURNAL_DAMAGED = 4;
    private static final int CHUNK = 1 << 20;

    static final String USAGE_TEXT = """
            usage: vdisk pool create DIR --size SIZE [--device DEV] [--segment-size SIZE] [--journal DIR]
                   vdisk pool import DIR [--device DEV] [--journal DIR] [--accept-journal-loss]
                   vdisk [--pool DIR] pool info
                   vdisk [--pool DIR] create NAME --size SIZE
                   vdisk [--pool DIR] ls
                   vdisk [--pool DIR] rm NAME
                   vdisk [--pool DIR] resize NAME --size SIZE
                   vdisk [--pool DIR] write NAME [--offset SIZE] --from FILE|-
                   vdisk [--pool DIR] read NAME [--offset SIZE] [--length SIZE] --to FILE|-
                   vdisk [--pool DIR] check
                   vdisk [--pool DIR] snapshot VDISK SNAP
                   vdisk [--pool DIR] clone SNAP NAME
                   vdisk [--pool DIR] diff BASE TARGET [--offset SIZE]
                   vdisk [--pool DIR] allocated SNAP [--offset SIZE]
                   vdisk [--pool DIR] tree [NAME]
                   vdisk [--pool DIR] split NAME --mode share|copy [--rate SIZE/s] [--idle-only] [--wait]
                   vdisk [--pool DIR] split --status
            --accept-journal-loss opens a pool whose journal lost fsynced records, keeping what survives, and lists
            the volume ranges that may hold older data (exit status 4 without it; 3 for damaged metadata)
            rm, ls and read work on snapshots too; diff prints "offset length changed|deallocated" per extent
            --pool defaults to $VDISK_POOL; sizes like 4096, 512K, 64KiB, 1.5G, 1T (binary units)""";

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final Map<String, String> env;
    /** {@code --accept-journal-loss} was given (set by {@link #run}). */
    private boolean acceptJournalLoss;

    VdiskCli(PrintStream out, PrintStream err, InputStream in, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.env = env;
    }

    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        int rc = new VdiskCli(System.out, System.err, System.in, System.getenv()).run(args);
        System.out.flush();
        System.exit(rc);
    }

    /** Usage errors. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Parsed words and {@code --options}. */
    private record Args(List<String> words, Map<String, String> options) {
        String option(String name) {
            return options.get(name);
        }

        String required(String name) {
            String v = options.get(name);
            if (v == null) {
                throw new UsageException("--" + name + " is required");
            }
            return v;
        }

        long size(String name, long dflt) {
            String v = options.get(name);
            try {
                return v == null ? dflt : Sizes.parse(v);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--" + name + ": " + e.getMessage());
            }
        }

        String word(int i, String what) {
            if (words.size() <= i) {
                throw new UsageException(what + " missing");
            }
            return words.get(i);
        }

        void expectWords(int n) {
            if (words.size() > n) {
                throw new UsageException("unexpected argument '" + words.get(n) + "'");
            }
        }
    }

    private static Args parse(String[] argv) {
        List<String> words = new ArrayList<>();
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--") && a.length() > 2) {
                String name = a.substring(2);
                String value;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (name.equals("help") || name.equals("wait") || name.equals("status")
                        || name.equals("idle-only") || name.equals(ACCEPT_LOSS)) {
                    value = "true";
                } else {
                    if (i + 1 >= argv.length) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    value = argv[++i];
                }
                options.put(name, value);
            } else {
                words.add(a);
            }
        }
        return new Args(words, options);
    }

    int run(String[] argv) {
        try {
            Args a = parse(argv);
            if (a.options().containsKey("help") || a.words().isEmpty() || a.words().get(0).equals("help")) {
                out.println(USAGE_TEXT);
                return a.words().isEmpty() && !a.options().containsKey("help") ? USAGE : OK;
            }
            acceptJournalLoss = a.options().containsKey(ACCEPT_LOSS);
            return dispatch(a);
        } catch (UsageException e) {
            err.println("vdisk: " + e.getMessage());
            err.println("run 'vdisk --help' for usage");
            return USAGE;
        } catch (JournalDamagedException e) {
            err.println("vdisk: " + e.getMessage() + " [" + e.reason() + "]");
            return JOURNAL_DAMAGED;
        } catch (CorruptMetadataException e) {
            err.println("vdisk: " + e.getMessage() + " [" + e.reason() + "]");
            return DAMAGED;
        } catch (EngineException e) {
            err.println("vdisk: " + e.getMessage() + " [" + e.reason() + "]");
            return FAILED;
        } catch (IOException e) {
            err.println("vdisk: " + e);
            return FAILED;
        } catch (RuntimeException e) {
            err.println("vdisk: unexpected failure (a bug; please report it with the command): " + e);
            return FAILED;
        }
    }

    private static final String ACCEPT_LOSS = "accept-journal-loss";

    /**
     * Opens the pool, with {@code --accept-journal-loss} if given; the pool logs what an accepted loss may have made
     * older (warnings go to stderr).
     */
    private Pool open(Path dir) {
        return Pool.open(dir, PoolOptions.defaults().withAcceptJournalLoss(acceptJournalLoss));
    }

    private int dispatch(Args a) throws IOException {
        String verb = a.word(0, "command");
        if (verb.equals("pool")) {
            String sub = a.word(1, "pool subcommand (create, import or info)");
            if (sub.equals("create")) {
                return poolCreate(a);
            }
            if (sub.equals("import")) {
                return poolImport(a);
            }
            if (sub.equals("info")) {
                a.expectWords(2);
                try (Pool p = open(poolDir(a))) {
                    poolInfo(p.info());
                }
                return OK;
            }
            throw new UsageException("unknown pool subcommand '" + sub + "'");
        }
        Path dir = poolDir(a);
        switch (verb) {
            case "create" -> {
                String name = a.word(1, "vdisk name");
                a.expectWords(2);
                long size = a.size("size", -1);
                if (size < 0) {
                    throw new UsageException("--size is required");
                }
                try (Pool p = open(dir)) {
                    VdiskInfo v = p.create(name, size);
                    out.println("created " + v.name() + " " + Sizes.format(v.sizeBytes()));
                }
            }
            case "ls" -> {
                a.expectWords(1);
                try (Pool p = open(dir)) {
                    out.printf("%-32s %12s %12s  %s%n", "NAME", "SIZE", "ALLOCATED", "CREATED");
                    for (VdiskInfo v : p.list()) {
                        out.printf("%-32s %12s %12s  %s%n", v.name(), Sizes.format(v.sizeBytes()),
                                Sizes.format(v.allocatedBytes()), Instant.ofEpochMilli(v.createdMillis()));
                    }
                    List<SnapshotInfo> snaps = p.snapshots();
                    if (!snaps.isEmpty()) {
                        out.printf("%n%-32s %-24s %8s %12s  %s%n", "SNAPSHOT", "OF", "SEQ", "SIZE", "CREATED");
                        for (SnapshotInfo s : snaps) {
                            out.printf("%-32s %-24s %8d %12s  %s%n", s.name(),
                                    s.vdiskName() == null ? "(deleted, id " + s.vdiskId() + ")" : s.vdiskName(),
                                    s.sequence(), Sizes.format(s.sizeBytes()), Instant.ofEpochMilli(s.createdMillis()));
                        }
                    }
                }
            }
            case "rm" -> {
                String name = a.word(1, "vdisk name");
                a.expectWords(2);
                try (Pool p = open(dir)) {
                    p.delete(name);
                    out.println("deleted " + name);
                }
            }
            case "resize" -> {
                String name = a.word(1, "vdisk name");
                a.expectWords(2);
                long size = a.size("size", -1);
                if (size < 0) {
                    throw new UsageException("--size is required");
                }
                try (Pool p = open(dir)) {
                    VdiskInfo v = p.resize(name, size);
                    out.println("resized " + v.name() + " to " + Sizes.format(v.sizeBytes()));
                }
            }
            case "write" -> {
                return write(a, dir);
            }
            case "read" -> {
                return read(a, dir);
            }
            case "check" -> {
                a.expectWords(1);
                return check(dir);
            }
            case "snapshot" -> {
                String vd = a.word(1, "vdisk name");
                String sn = a.word(2, "snapshot name");
                a.expectWords(3);
                try (Pool p = open(dir)) {
                    SnapshotInfo s = p.snapshot(vd, sn);
                    out.println("created snapshot " + s.name() + " of " + vd + " (sequence " + s.sequence() + ")");
                }
            }
            case "clone" -> {
                String sn = a.word(1, "snapshot name");
                String name = a.word(2, "clone name");
                a.expectWords(3);
                try (Pool p = open(dir)) {
                    VdiskInfo v = p.clone(sn, name);
                    out.println("created clone " + v.name() + " of " + sn + " " + Sizes.format(v.sizeBytes()));
                }
            }
            case "diff" -> {
                String base = a.word(1, "base snapshot");
                String target = a.word(2, "target snapshot");
                a.expectWords(3);
                try (Pool p = open(dir)) {
                    ExtentScan scan = p.delta(base, target, a.size("offset", 0));
                    while (scan.hasNext()) {
                        Extent e = scan.next();
                        out.println(e.offset() + " " + e.length() + " "
                                + (e.kind() == Extent.Kind.DEALLOCATED ? "deallocated" : "changed"));
                    }
                }
            }
            case "allocated" -> {
                String sn = a.word(1, "snapshot name");
                a.expectWords(2);
                try (Pool p = open(dir)) {
                    ExtentScan scan = p.allocated(sn, a.size("offset", 0));
                    while (scan.hasNext()) {
                        Extent e = scan.next();
                        out.println(e.offset() + " " + e.length());
                    }
                }
            }
            case "tree" -> {
                String only = a.words().size() > 1 ? a.words().get(1) : null;
                a.expectWords(2);
                try (Pool p = open(dir)) {
                    tree(p.lineage(), only);
                }
            }
            case "split" -> {
                return split(a, dir);
            }
            default -> throw new UsageException("unknown command '" + verb + "'");
        }
        return OK;
    }

    /** {@code split NAME --mode M [--rate R] [--idle-only] [--wait]} and {@code split --status}. */
    private int split(Args a, Path dir) {
        if (a.options().containsKey("status")) {
            a.expectWords(1);
            Pool p;
            try {
                p = open(dir);
            } catch (dev.vdisk.engine.PoolLockedException e) {
                return runningSplits(dir, e);
            }
            try (p) {
                out.printf("%-32s %-6s %-11s %12s %12s %12s  %s%n", "VDISK", "MODE", "PHASE", "CURSOR", "SEGMENTS",
                        "RELOCATED", "ERROR");
                for (SplitProgress s : p.splits()) {
                    // we hold the pool's lock and started nothing: a record still saying RUNNING (the engine's
                    // QUEUED) belongs to a process that died (a killed 'vdisk split', a crashed node agent)
                    boolean interrupted = s.phase() == SplitPhase.QUEUED;
                    String mode = s.mode().name().toLowerCase(Locale.ROOT);
                    out.printf("%-32s %-6s %-11s %12d %12d %12s  %s%n", s.vdiskName(), mode,
                            interrupted ? "interrupted" : s.phase().name().toLowerCase(Locale.ROOT),
                            s.segmentsScanned(), s.segmentsTotal(), Sizes.format(s.bytesRelocated()),
                            interrupted ? "the process running it is gone; 'vdisk split " + s.vdiskName() + " --mode "
                                    + mode + "' continues from the cursor (a node agent does so when it starts)"
                                    : s.error() == null ? "" : s.error());
                }
            }
            return OK;
        }
        String name = a.word(1, "clone name");
        a.expectWords(2);
        String m = a.required("mode");
        SplitMode mode = switch (m.toLowerCase(Locale.ROOT)) {
            case "share" -> SplitMode.SHARE;
            case "copy" -> SplitMode.COPY;
            default -> throw new UsageException("--mode must be share or copy, not '" + m + "'");
        };
        String rate = a.option("rate");
        long bps = 0;
        if (rate != null) {
            String r = rate.endsWith("/s") ? rate.substring(0, rate.length() - 2) : rate;
            try {
                bps = Sizes.parse(r);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--rate: " + e.getMessage() + " (give bytes per second, like 200MiB/s)");
            }
        }
        SplitOptions o = SplitOptions.defaults().withRate(bps);
        if (a.options().containsKey("idle-only")) {
            o = o.withIdleOnly(o.busyOpsPerSecond());
        }
        try (Pool p = open(dir)) {
            SplitTask t = p.split(name, mode, o);
            SplitProgress s;
            boolean tty = System.console() != null;
            do {
                s = t.await(Duration.ofMillis(200));
                drawSplit(s, tty);
            } while (!s.finished());
            err.println();
            switch (s.phase()) {
                case DONE -> {
                    out.println("split " + name + " (" + m + "): " + s.segmentsFilled() + " segments filled, "
                            + Sizes.format(s.bytesRelocated()) + " relocated; it no longer depends on a snapshot");
                    return OK;
                }
                case PAUSED -> {
                    err.println("vdisk: split of " + name + " paused at segment " + s.segmentsScanned() + ": "
                            + s.error() + "; free space and run the split again to continue");
                    return FAILED;
                }
                default -> {
                    err.println("vdisk: split of " + name + " " + s.phase().name().toLowerCase(Locale.ROOT)
                            + (s.error() == null ? "" : ": " + s.error()));
                    return FAILED;
                }
            }
        }
    }

    /** How old the node agent's status file may be before it is taken for a dead agent's leftover. */
    private static final long STATUS_FRESH_MILLIS = 10_000;

    /**
     * {@code split --status} on a pool that a node agent holds open: the agent's {@link SplitStatusFile}, rewritten
     * every second, with its age; a missing or stale file is a failure naming the lock holder.
     */
    private int runningSplits(Path dir, dev.vdisk.engine.PoolLockedException locked) {
        java.util.Optional<SplitStatusFile.Contents> c;
        try {
            c = SplitStatusFile.read(dir);
        } catch (java.io.IOException | RuntimeException e) {
            err.println("vdisk: " + locked.getMessage() + ", and its split status file is unreadable: " + e);
            return FAILED;
        }
        long age = c.map(x -> System.currentTimeMillis() - x.writtenMillis()).orElse(Long.MAX_VALUE);
        if (c.isEmpty() || age > STATUS_FRESH_MILLIS) {
            err.println("vdisk: " + locked.getMessage() + ", and it publishes no fresh split status ("
                    + (c.isEmpty() ? "no " + SplitStatusFile.NAME + " file" : SplitStatusFile.NAME + " is " + age / 1000
                    + " s old") + "); only a node agent writes one");
            return FAILED;
        }
        out.printf(Locale.ROOT, "pool in use by node agent pid %d; its splits as of %.1f s ago:%n", c.get().pid(),
                age / 1000.0);
        out.printf("%-32s %-6s %-10s %12s %12s %12s %10s %8s  %s%n", "VDISK", "MODE", "PHASE", "CURSOR", "SEGMENTS",
                "RELOCATED", "MiB/s", "ETA", "MESSAGE");
        for (dev.vdisk.api.agent.SplitStatus s : c.get().splits()) {
            out.printf(Locale.ROOT, "%-32s %-6s %-10s %12d %12d %12s %10.1f %8s  %s%n", s.volumeId(), s.mode(),
                    s.phase().toLowerCase(Locale.ROOT), s.segmentsScanned(), s.segmentsTotal(),
                    Sizes.format(s.bytesRelocated()), s.bytesPerSecond() / (1 << 20),
                    s.etaSeconds() < 0 ? "--" : s.etaSeconds() + "s", s.message());
        }
        return OK;
    }

    private void drawSplit(SplitProgress s, boolean tty) {
        long total = Math.max(1, s.segmentsTotal());
        int pct = (int) Math.min(100, s.segmentsScanned() * 100 / total);
        String eta = s.etaSeconds() < 0 ? "--" : s.etaSeconds() / 60 + "m" + String.format(Locale.ROOT, "%02d",
                s.etaSeconds() % 60) + "s";
        err.printf(Locale.ROOT, "%ssplit %s [%-25s] %3d%% %s %.1f MiB/s ETA %s %s", tty ? "\r" : "", s.vdiskName(),
                "#".repeat(pct / 4), pct, Sizes.format(s.bytesRelocated()), s.bytesPerSecond() / (1 << 20), eta,
                tty ? "" : "\n");
    }

    /**
     * Prints the lineage forest: each vdisk with its snapshots below it, each snapshot with the clones reading through
     * it; snapshots of deleted vdisks under a "(deleted vdisk N)" line; hidden snapshots marked.
     */
    private void tree(List<Lineage> all, String only) {
        Map<Long, Lineage> byId = new HashMap<>();
        for (Lineage l : all) {
            byId.put(l.id(), l);
        }
        Map<Long, List<Lineage>> children = new HashMap<>();
        List<Lineage> roots = new ArrayList<>();
        java.util.Set<Long> deletedOwners = new java.util.TreeSet<>();
        for (Lineage l : all) {
            long parent = l.snapshot() ? l.ownerId() : l.backingId();
            if (parent == 0) {
                roots.add(l);
            } else {
                children.computeIfAbsent(parent, k -> new ArrayList<>()).add(l);
                if (!byId.containsKey(parent)) {
                    deletedOwners.add(parent);
                }
            }
        }
        out.printf("%-48s %12s %12s %12s%n", "NAME", "SIZE", "OWN", "SHARED");
        boolean found = only == null;
        for (Lineage r : roots) {
            if (only == null || r.name().equals(only)) {
                printTree(r, children, "", only);
                found = true;
            }
        }
        for (long d : deletedOwners) {
            if (only == null) {
                out.println("(deleted vdisk " + d + ")");
                for (Lineage c : children.get(d)) {
                    printTree(c, children, "  ", null);
                }
            }
        }
        if (!found) {
            for (Lineage l : all) {
                if (l.name().equals(only) && !l.hidden()) {
                    printTree(l, children, "", only);
                    found = true;
                }
            }
        }
        if (!found) {
            throw new UsageException("no vdisk or snapshot named " + only);
        }
    }

    private void printTree(Lineage l, Map<Long, List<Lineage>> children, String indent, String only) {
        String label = indent + (l.snapshot() ? "@" : "") + l.name() + (l.hidden() ? " (hidden)" : "");
        out.printf("%-48s %12s %12s %12s%n", label, Sizes.format(l.sizeBytes()), Sizes.format(l.ownBytes()),
                Sizes.format(l.sharedBytes()));
        for (Lineage c : children.getOrDefault(l.id(), List.of())) {
            printTree(c, children, indent + "  ", only);
        }
    }

    private Path poolDir(Args a) {
        String p = a.option("pool");
        if (p == null) {
            p = env.get("VDISK_POOL");
        }
        if (p == null || p.isEmpty()) {
            throw new UsageException("no pool given: pass --pool DIR or set VDISK_POOL");
        }
        return Path.of(p);
    }

    private int poolCreate(Args a) {
        Path dir = Path.of(a.word(2, "pool directory"));
        a.expectWords(3);
        long size = a.size("size", -1);
        if (size < 0) {
            throw new UsageException("--size is required");
        }
        long seg = a.size("segment-size", PoolSpec.DEFAULT_SEGMENT_SIZE);
        if (seg > Integer.MAX_VALUE) {
            throw new UsageException("--segment-size is too large");
        }
        String dev = a.option("device");
        String journal = a.option("journal");
        PoolSpec spec = new PoolSpec(size, (int) seg, dev == null ? null : Path.of(dev),
                journal == null ? null : Path.of(journal));
        try (Pool p = Pool.create(dir, spec)) {
            PoolInfo i = p.info();
            out.println("created pool " + dir + ": " + Sizes.format(i.sizeBytes()) + " in segments of "
                    + Sizes.format(i.segmentSize()) + ", data " + i.dataPath() + ", journal " + i.journalDir());
        }
        return OK;
    }

    private int poolImport(Args a) {
        Path dir = Path.of(a.word(2, "pool directory"));
        a.expectWords(3);
        String dev = a.option("device");
        String journal = a.option("journal");
        err.println("importing pool " + dir + " (recovery, then a check) ...");
        CheckReport r = PoolImport.run(dir, dev == null ? null : Path.of(dev), journal == null ? null : Path.of(journal),
                PoolOptions.defaults().withAcceptJournalLoss(acceptJournalLoss));
        if (!r.clean()) {
            for (CheckReport.Problem problem : r.problems()) {
                out.println(problem);
            }
            err.println("vdisk: not imported: the check found " + r.problems().size() + " problem(s) (above);"
                    + " pool.properties was not written [CORRUPT]");
            return FAILED;
        }
        try (Pool p = Pool.open(dir)) {
            PoolInfo i = p.info();
            out.println("imported pool " + dir + " (uuid " + i.uuid() + "): " + i.vdisks() + " vdisks, "
                    + Sizes.format(i.sizeBytes()) + ", data " + i.dataPath() + ", journal " + i.journalDir());
        }
        return OK;
    }

    private void poolInfo(PoolInfo i) {
        out.println("directory:     " + i.dir());
        out.println("data:          " + i.dataPath());
        out.println("journal:       " + i.journalDir() + " (" + Sizes.format(i.journalBytes()) + ")");
        out.println("uuid:          " + i.uuid());
        out.println("format:        " + i.formatVersion());
        out.println("segment size:  " + Sizes.format(i.segmentSize()));
        out.println("size:          " + Sizes.format(i.sizeBytes()));
        out.println("used:          " + Sizes.format(i.usedBytes()));
        out.println("free:          " + Sizes.format(i.freeBytes()));
        out.println("available:     " + Sizes.format(i.availableBytes()));
        out.println("pending free:  " + Sizes.format(i.pendingBytes()));
        out.println("generation:    " + i.generation());
        out.println("vdisks:        " + i.vdisks());
    }

    private int write(Args a, Path dir) throws IOException {
        String name = a.word(1, "vdisk name");
        a.expectWords(2);
        long offset = a.size("offset", 0);
        String from = a.required("from");
        long total = from.equals("-") ? -1 : Files.size(Path.of(from));
        try (Pool p = open(dir);
                ReadableByteChannel src = from.equals("-") ? Channels.newChannel(in)
                        : Files.newByteChannel(Path.of(from), StandardOpenOption.READ)) {
            Vdisk v = p.vdisk(name);
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            Progress progress = new Progress(err, "write " + name, total);
            long done = 0;
            boolean eof = false;
            while (!eof) {
                buf.clear();
                while (buf.hasRemaining()) {
                    if (src.read(buf) < 0) {
                        eof = true;
                        break;
                    }
                }
                buf.flip();
                if (buf.hasRemaining()) {
                    int n = buf.remaining();
                    v.write(offset + done, buf);
                    done += n;
                    progress.update(done);
                }
            }
            v.flush();
            progress.finish();
            err.println("wrote " + done + " bytes to " + name + " at offset " + offset);
        }
        return OK;
    }

    private int read(Args a, Path dir) throws IOException {
        String name = a.word(1, "vdisk name");
        a.expectWords(2);
        long offset = a.size("offset", 0);
        String to = a.required("to");
        try (Pool p = open(dir)) {
            Vdisk v = p.list().stream().anyMatch(i -> i.name().equals(name)) ? p.vdisk(name) : p.snapshotReader(name);
            long length = a.size("length", Math.max(0, v.size() - offset));
            if (offset > v.size() || length > v.size() - offset) {
                throw new UsageException("range " + offset + "+" + length + " is outside " + name + " of "
                        + v.size() + " bytes");
            }
            OutputStream stdout = to.equals("-") ? out : null;
            try (WritableByteChannel dst = stdout != null ? Channels.newChannel(stdout)
                    : PrivateFiles.open(Path.of(to), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
                Progress progress = new Progress(err, "read " + name, length);
                long done = 0;
                while (done < length) {
                    buf.clear().limit((int) Math.min(CHUNK, length - done));
                    v.read(offset + done, buf);
                    buf.flip();
                    while (buf.hasRemaining()) {
                        dst.write(buf);
                    }
                    done += buf.limit();
                    progress.update(done);
                }
                progress.finish();
                if (stdout != null) {
                    stdout.flush();
                }
            }
        }
        return OK;
    }

    private int check(Path dir) {
        err.println("checking pool " + dir + " ...");
        try (Pool p = open(dir)) {
            CheckReport r = p.check();
            for (CheckReport.Problem problem : r.problems()) {
                out.println(problem);
            }
            long lost = p.journalLosses().size();
            out.println((r.clean() && lost == 0 ? "clean: " : r.problems().size() + " problem(s)"
                    + (lost == 0 ? "" : ", " + lost + " damaged journal place(s) accepted (listed above)") + ": ")
                    + r.trees() + " vdisks, " + r.indirectBlocks() + " indirect blocks, " + r.dataSegments()
                    + " data segments checked");
            return r.clean() && lost == 0 ? OK : FAILED;
        } catch (JournalDamagedException e) {
            out.println(e.getMessage());
            return JOURNAL_DAMAGED;
        } catch (CorruptMetadataException e) {
            out.println("corrupt: " + e.getMessage());
            return DAMAGED;
        } catch (dev.vdisk.engine.ForeignPoolFileException e) {
            out.println("foreign file: " + e.getMessage());
            return FAILED;
        }
    }
}
