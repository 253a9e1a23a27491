package dev.vdisk.cli;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.cli.shared.Programs;
import dev.vdisk.cli.shared.ProjectVersion;
import dev.vdisk.engine.Extent;
import dev.vdisk.engine.ExtentScan;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.SnapshotInfo;
import dev.vdisk.engine.Vdisk;
import dev.vdisk.engine.VdiskInfo;
import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.engine.error.ForeignPoolFileException;
import dev.vdisk.engine.error.JournalDamagedException;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The offline {@code vdisk} command: pool and vdisk administration and raw data transfer on a pool that no other
 * process has open. Exit status 0 on success, 1 when the work failed (one-line reason on stderr) or the check found
 * problems, 2 for a usage error, 3 when the pool's metadata is damaged, 4 when its journal lost fsynced records (the
 * pool is not opened unless {@code --accept-journal-loss} is given; then the command runs after the pool logged, on
 * stderr, the volume ranges that may hold older data).
 *
 * <p>The verbs are the {@code @Command} methods below, {@link PoolCommand} and {@link SplitCommand}; picocli parses
 * the line ({@link Programs} sets it up as the other two programs do); {@link RawTransfer} copies the bytes of
 * {@code write} and {@code read}. {@code rm} deletes snapshots too; {@code ls}
 * lists vdisks then snapshots; {@code read} reads snapshots too. {@code --pool} defaults to {@code $VDISK_POOL}.
 */
@Command(
        name = "vdisk",
        mixinStandardHelpOptions = true,
        versionProvider = ProjectVersion.class,
        subcommands = {PoolCommand.class, SplitCommand.class, HelpCommand.class},
        description = "Pool and vdisk administration and raw transfers on a pool that no other process has open.",
        footer = {
            "",
            "Sizes: a number with an optional binary unit, e.g. 4096, 512K, 64KiB, 1.5G, 1T.",
            "rm, ls and read work on snapshots too; diff prints \"offset length changed|deallocated\" per extent.",
            "Exit status: 0 done, 1 failed (reason on stderr) or an unclean check, 2 bad command line,",
            "3 damaged pool metadata, 4 journal lost fsynced records (see --accept-journal-loss)."
        })
public final class VdiskCli implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = Programs.USAGE;
    static final int DAMAGED = 3;
    static final int JOURNAL_DAMAGED = 4;

    final PrintStream out;
    final PrintStream err;
    private final InputStream in;
    private final Map<String, String> env;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--pool",
            paramLabel = "DIR",
            scope = ScopeType.INHERIT,
            description = "the pool's directory (default: $VDISK_POOL)")
    Path pool;

    @Option(
            names = "--accept-journal-loss",
            scope = ScopeType.INHERIT,
            description = "open a pool whose journal lost fsynced records, keeping what survives, and list the "
                    + "volume ranges that may hold older data (exit status 4 without it)")
    boolean acceptJournalLoss;

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

    int run(String[] argv) {
        CommandLine cl = Programs.commandLine(this);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, line, parsed) -> failure(e));
        return cl.execute(argv);
    }

    /** The exit status and one line on stderr for what a verb threw. */
    private int failure(Exception e) {
        return switch (e) {
            case JournalDamagedException j -> fail(j.getMessage() + " [" + j.reason() + "]", JOURNAL_DAMAGED);
            case CorruptMetadataException c -> fail(c.getMessage() + " [" + c.reason() + "]", DAMAGED);
            case EngineException x -> fail(x.getMessage() + " [" + x.reason() + "]", FAILED);
            case IOException x -> fail(x.toString(), FAILED);
            default -> fail("unexpected failure (a bug; please report it with the command): " + e, FAILED);
        };
    }

    private int fail(String line, int status) {
        err.println("vdisk: " + line);
        return status;
    }

    /** {@code vdisk} alone: a usage error, as in the other two programs. */
    @Override
    public Integer call() {
        throw usage(
                spec,
                "missing command; one of: "
                        + String.join(", ", spec.subcommands().keySet()));
    }

    static ParameterException usage(CommandSpec spec, String reason) {
        return new ParameterException(spec.commandLine(), reason);
    }

    /**
     * Opens the pool, with {@code --accept-journal-loss} if given; the pool logs what an accepted loss may have made
     * older (warnings go to stderr).
     */
    Pool open(Path dir) {
        return Pool.open(dir, PoolOptions.defaults().withAcceptJournalLoss(acceptJournalLoss));
    }

    PoolOptions poolOptions() {
        return PoolOptions.defaults().withAcceptJournalLoss(acceptJournalLoss);
    }

    /** The verb being run, for the usage line of an error found while running it. */
    CommandSpec current() {
        ParseResult r = spec.commandLine().getParseResult();
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return r.commandSpec();
    }

    /** {@code --pool}, else {@code $VDISK_POOL}. */
    Path poolDir() {
        if (pool != null) {
            return pool;
        }
        String p = env.get("VDISK_POOL");
        if (p == null || p.isEmpty()) {
            throw usage(current(), "no pool given: pass --pool DIR or set VDISK_POOL");
        }
        return Path.of(p);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a thin vdisk (allocates nothing).")
    int create(
            @Parameters(paramLabel = "NAME") String name,
            @Option(names = "--size", required = true, paramLabel = "SIZE") ByteSize size) {
        try (Pool p = open(poolDir())) {
            VdiskInfo v = p.vdisks().create(name, size.bytes());
            out.println("created " + v.name() + " " + new ByteSize(v.sizeBytes()));
        }
        return OK;
    }

    @Command(
            name = "ls",
            mixinStandardHelpOptions = true,
            description = "List vdisks (name, size, allocated, created), " + "then snapshots.")
    int ls() {
        try (Pool p = open(poolDir())) {
            new VdiskListing(out).print(p.vdisks().list(), p.snapshots().list());
        }
        return OK;
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Delete a vdisk or a snapshot.")
    int rm(@Parameters(paramLabel = "NAME") String name) {
        try (Pool p = open(poolDir())) {
            p.vdisks().delete(name);
            out.println("deleted " + name);
        }
        return OK;
    }

    @Command(name = "resize", mixinStandardHelpOptions = true, description = "Grow a vdisk; shrinking is refused.")
    int resize(
            @Parameters(paramLabel = "NAME") String name,
            @Option(names = "--size", required = true, paramLabel = "SIZE") ByteSize size) {
        try (Pool p = open(poolDir())) {
            VdiskInfo v = p.vdisks().resize(name, size.bytes());
            out.println("resized " + v.name() + " to " + new ByteSize(v.sizeBytes()));
        }
        return OK;
    }

    @Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Snapshot a vdisk.")
    int snapshot(@Parameters(paramLabel = "VDISK") String vdisk, @Parameters(paramLabel = "SNAP") String name) {
        try (Pool p = open(poolDir())) {
            SnapshotInfo s = p.snapshots().take(vdisk, name);
            out.println("created snapshot " + s.name() + " of " + vdisk + " (sequence " + s.sequence() + ")");
        }
        return OK;
    }

    @Command(
            name = "clone",
            mixinStandardHelpOptions = true,
            description = "Create a vdisk reading through a " + "snapshot.")
    int clone(@Parameters(paramLabel = "SNAP") String snapshot, @Parameters(paramLabel = "NAME") String name) {
        try (Pool p = open(poolDir())) {
            VdiskInfo v = p.snapshots().clone(snapshot, name);
            out.println("created clone " + v.name() + " of " + snapshot + " " + new ByteSize(v.sizeBytes()));
        }
        return OK;
    }

    @Command(
            name = "diff",
            mixinStandardHelpOptions = true,
            description = "The extents that differ from BASE to "
                    + "TARGET, one per line: offset length changed|deallocated.")
    int diff(
            @Parameters(paramLabel = "BASE") String base,
            @Parameters(paramLabel = "TARGET") String target,
            @Option(names = "--offset", paramLabel = "SIZE", defaultValue = "0") ByteSize offset) {
        try (Pool p = open(poolDir())) {
            ExtentScan scan = p.extents().delta(base, target, offset.bytes());
            while (scan.hasNext()) {
                Extent e = scan.next();
                out.println(e.offset() + " " + e.length() + " "
                        + (e.kind() == Extent.Kind.DEALLOCATED ? "deallocated" : "changed"));
            }
        }
        return OK;
    }

    @Command(
            name = "allocated",
            mixinStandardHelpOptions = true,
            description = "The allocated extents of a snapshot, " + "one per line: offset length.")
    int allocated(
            @Parameters(paramLabel = "SNAP") String snapshot,
            @Option(names = "--offset", paramLabel = "SIZE", defaultValue = "0") ByteSize offset) {
        try (Pool p = open(poolDir())) {
            ExtentScan scan = p.extents().allocated(snapshot, offset.bytes());
            while (scan.hasNext()) {
                Extent e = scan.next();
                out.println(e.offset() + " " + e.length());
            }
        }
        return OK;
    }

    @Command(
            name = "tree",
            mixinStandardHelpOptions = true,
            description = "The lineage with own and shared sizes: "
                    + "vdisks, their snapshots, the clones reading through them.")
    int tree(@Parameters(paramLabel = "NAME", arity = "0..1") String only) {
        try (Pool p = open(poolDir())) {
            if (!new LineageTree(out).print(p.lineage().all(), only)) {
                throw usage(current(), "no vdisk or snapshot named " + only);
            }
        }
        return OK;
    }

    @Command(
            name = "check",
            mixinStandardHelpOptions = true,
            description = "Check the pool's metadata; exit status 1 " + "when it finds problems.")
    int check() {
        Path dir = poolDir();
        err.println("checking pool " + dir + " ...");
        try (Pool p = open(dir)) {
            CheckReport r = p.check();
            for (CheckReport.Problem problem : r.problems()) {
                out.println(problem);
            }
            long lost = p.journalLosses().size();
            out.println((r.clean() && lost == 0
                            ? "clean: "
                            : r.problems().size() + " problem(s)"
                                    + (lost == 0
                                            ? ""
                                            : ", " + lost + " damaged journal place(s) accepted (listed above)")
                                    + ": ")
                    + r.trees() + " vdisks, " + r.indirectBlocks() + " indirect blocks, " + r.dataSegments()
                    + " data segments checked");
            return r.clean() && lost == 0 ? OK : FAILED;
        } catch (JournalDamagedException e) {
            out.println(e.getMessage());
            return JOURNAL_DAMAGED;
        } catch (CorruptMetadataException e) {
            out.println("corrupt: " + e.getMessage());
            return DAMAGED;
        } catch (ForeignPoolFileException e) {
            out.println("foreign file: " + e.getMessage());
            return FAILED;
        }
    }

    @Command(
            name = "write",
            mixinStandardHelpOptions = true,
            description = "Write a file (or stdin: -) into a vdisk; " + "a progress bar on stderr for large ones.")
    int write(
            @Parameters(paramLabel = "NAME") String name,
            @Option(names = "--offset", paramLabel = "SIZE", defaultValue = "0") ByteSize at,
            @Option(names = "--from", required = true, paramLabel = "FILE|-") String from)
            throws IOException {
        long offset = at.bytes();
        long total = from.equals("-") ? -1 : Files.size(Path.of(from));
        try (Pool p = open(poolDir());
                ReadableByteChannel src = from.equals("-")
                        ? Channels.newChannel(in)
                        : Files.newByteChannel(Path.of(from), StandardOpenOption.READ)) {
            long done = new RawTransfer(err).write(src, total, p.vdisks().get(name), offset, "write " + name);
            err.println("wrote " + done + " bytes to " + name + " at offset " + offset);
        }
        return OK;
    }

    @Command(
            name = "read",
            mixinStandardHelpOptions = true,
            description = "Read a vdisk or a snapshot into a file (or "
                    + "stdout: -); a progress bar on stderr for large ones.")
    int read(
            @Parameters(paramLabel = "NAME") String name,
            @Option(names = "--offset", paramLabel = "SIZE", defaultValue = "0") ByteSize at,
            @Option(names = "--length", paramLabel = "SIZE", description = "default: to the end") ByteSize size,
            @Option(names = "--to", required = true, paramLabel = "FILE|-") String to)
            throws IOException {
        long offset = at.bytes();
        try (Pool p = open(poolDir())) {
            Vdisk v = p.vdisks().list().stream().anyMatch(i -> i.name().equals(name))
                    ? p.vdisks().get(name)
                    : p.snapshots().reader(name);
            long length = size != null ? size.bytes() : Math.max(0, v.size() - offset);
            if (offset > v.size() || length > v.size() - offset) {
                throw usage(
                        current(),
                        "range " + offset + "+" + length + " is outside " + name + " of " + v.size() + " bytes");
            }
            OutputStream stdout = to.equals("-") ? out : null;
            try (WritableByteChannel dst = stdout != null
                    ? Channels.newChannel(stdout)
                    : PrivateFiles.open(
                            Path.of(to),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)) {
                new RawTransfer(err).read(v, offset, length, dst, "read " + name);
                if (stdout != null) {
                    stdout.flush();
                }
            }
        }
        return OK;
    }
}
