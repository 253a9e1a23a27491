package dev.vdisk.cli;

import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.api.agent.SplitStatusFile;
import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.cli.shared.ProgressBar;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.error.PoolLockedException;
import dev.vdisk.engine.split.SplitMode;
import dev.vdisk.engine.split.SplitOptions;
import dev.vdisk.engine.split.SplitPhase;
import dev.vdisk.engine.split.SplitProgress;
import dev.vdisk.engine.split.SplitTask;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code vdisk split NAME --mode share|copy [--rate 200MiB/s] [--idle-only] [--wait]} detaches a clone from its
 * backing snapshot with a live progress bar (throughput, ETA) on stderr. The command opens the pool offline, and the
 * split runs in this process, so it always waits for the end ({@code --wait} is accepted for the node agent's
 * spelling, where a split runs in the agent and the caller may leave); an interrupted split (Ctrl-C, kill) keeps its
 * cursor and continues from it on the next {@code split} of that clone.
 *
 * <p>{@code split --status} lists the splits recorded in the pool (running before a restart, paused, cancelled) with
 * their cursor; when a node agent holds the pool open, it lists the agent's running, queued and finished splits from
 * the status file the agent rewrites every second ({@link SplitStatusFile}).
 */
@Command(
        name = "split",
        mixinStandardHelpOptions = true,
        description = {
            "Detach clone NAME from its snapshot, with a progress bar on stderr; an interrupted split "
                    + "continues from its cursor next time.",
            "--status lists the pool's recorded splits, or a running " + "node agent's."
        })
final class SplitCommand implements Callable<Integer> {

    /** How old the node agent's status file may be before it is taken for a dead agent's leftover. */
    private static final long STATUS_FRESH_MILLIS = 10_000;

    @ParentCommand
    VdiskCli top;

    @Parameters(paramLabel = "NAME", arity = "0..1", description = "the clone")
    String name;

    @Option(
            names = "--mode",
            paramLabel = "share|copy",
            completionCandidates = Modes.class,
            description = "share: the clone takes over the snapshot's data; copy: copies it")
    String mode;

    @Option(
            names = "--rate",
            paramLabel = "SIZE/s",
            converter = ByteSize.RateConverter.class,
            description = "at most this many bytes per second, e.g. 200MiB/s")
    ByteSize rate;

    @Option(names = "--idle-only", description = "work only while the clone sees little I/O")
    boolean idleOnly;

    @Option(names = "--wait", description = "accepted for the node agent's spelling; a split here always waits")
    boolean await;

    @Option(names = "--status", description = "list the splits instead of starting one")
    boolean status;

    /** What --mode completes to. */
    static final class Modes extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Modes() {
            super(List.of("share", "copy"));
        }
    }

    @Override
    public Integer call() {
        Path dir = top.poolDir();
        if (status) {
            if (name != null) {
                throw VdiskCli.usage(top.current(), "split --status takes no NAME, got '" + name + "'");
            }
            return status(dir);
        }
        if (name == null) {
            throw VdiskCli.usage(top.current(), "missing the clone's NAME (or --status)");
        }
        if (mode == null) {
            throw VdiskCli.usage(top.current(), "missing required option: '--mode=share|copy'");
        }
        SplitMode m =
                switch (mode.toLowerCase(Locale.ROOT)) {
                    case "share" -> SplitMode.SHARE;
                    case "copy" -> SplitMode.COPY;
                    default -> throw VdiskCli.usage(top.current(), "--mode must be share or copy, not '" + mode + "'");
                };
        SplitOptions o = SplitOptions.defaults().withRate(rate == null ? 0 : rate.bytes());
        if (idleOnly) {
            o = o.withIdleOnly(o.busyOpsPerSecond());
        }
        try (Pool p = top.open(dir)) {
            SplitTask t = p.splits().start(name, m, o);
            ProgressBar bar = new ProgressBar(top.err, System.console() != null, "split " + name, Duration.ZERO);
            SplitProgress s;
            do {
                s = t.await(Duration.ofMillis(200));
                long total = Math.max(1, s.segmentsTotal());
                bar.show(
                        (int) Math.min(100, s.segmentsScanned() * 100 / total),
                        "",
                        new ByteSize(s.bytesRelocated())
                                + " " + new ByteSize((long) s.bytesPerSecond()).toFixedString() + "/s ETA "
                                + ProgressBar.eta(s.etaSeconds()));
            } while (!s.finished());
            bar.finish();
            return switch (s.phase()) {
                case DONE -> {
                    top.out.println("split " + name + " (" + mode + "): " + s.segmentsFilled() + " segments filled, "
                            + new ByteSize(s.bytesRelocated()) + " relocated; it no longer depends on a snapshot");
                    yield VdiskCli.OK;
                }
                case PAUSED -> {
                    top.err.println("vdisk: split of " + name + " paused at segment " + s.segmentsScanned() + ": "
                            + s.error() + "; free space and run the split again to continue");
                    yield VdiskCli.FAILED;
                }
                default -> {
                    top.err.println("vdisk: split of " + name + " "
                            + s.phase().name().toLowerCase(Locale.ROOT) + (s.error() == null ? "" : ": " + s.error()));
                    yield VdiskCli.FAILED;
                }
            };
        }
    }

    private int status(Path dir) {
        Pool p;
        try {
            p = top.open(dir);
        } catch (PoolLockedException e) {
            return runningSplits(dir, e);
        }
        try (p) {
            top.out.printf(
                    "%-32s %-6s %-11s %12s %12s %12s  %s%n",
                    "VDISK", "MODE", "PHASE", "CURSOR", "SEGMENTS", "RELOCATED", "ERROR");
            for (SplitProgress s : p.splits().progress()) {
                // we hold the pool's lock and started nothing: a record still saying RUNNING (the engine's
                // QUEUED) belongs to a process that died (a killed 'vdisk split', a crashed node agent)
                boolean interrupted = s.phase() == SplitPhase.QUEUED;
                String m = s.mode().name().toLowerCase(Locale.ROOT);
                top.out.printf(
                        "%-32s %-6s %-11s %12d %12d %12s  %s%n",
                        s.vdiskName(),
                        m,
                        interrupted ? "interrupted" : s.phase().name().toLowerCase(Locale.ROOT),
                        s.segmentsScanned(),
                        s.segmentsTotal(),
                        new ByteSize(s.bytesRelocated()),
                        interrupted
                                ? "the process running it is gone; 'vdisk split " + s.vdiskName() + " --mode " + m
                                        + "' continues from the cursor (a node agent does so when it starts)"
                                : s.error() == null ? "" : s.error());
            }
        }
        return VdiskCli.OK;
    }

    /**
     * {@code split --status} on a pool that a node agent holds open: the agent's {@link SplitStatusFile}, rewritten
     * every second, with its age; a missing or stale file is a failure naming the lock holder.
     */
    private int runningSplits(Path dir, PoolLockedException locked) {
        Optional<SplitStatusFile.Contents> c;
        try {
            c = SplitStatusFile.read(dir);
        } catch (IOException | RuntimeException e) {
            top.err.println("vdisk: " + locked.getMessage() + ", and its split status file is unreadable: " + e);
            return VdiskCli.FAILED;
        }
        long age = c.map(x -> System.currentTimeMillis() - x.writtenMillis()).orElse(Long.MAX_VALUE);
        if (c.isEmpty() || age > STATUS_FRESH_MILLIS) {
            top.err.println("vdisk: " + locked.getMessage() + ", and it publishes no fresh split status ("
                    + (c.isEmpty()
                            ? "no " + SplitStatusFile.NAME + " file"
                            : SplitStatusFile.NAME + " is " + age / 1000 + " s old")
                    + "); only a node agent writes one");
            return VdiskCli.FAILED;
        }
        top.out.printf(
                Locale.ROOT,
                "pool in use by node agent pid %d; its splits as of %.1f s ago:%n",
                c.get().pid(),
                age / 1000.0);
        top.out.printf(
                "%-32s %-6s %-10s %12s %12s %12s %10s %8s  %s%n",
                "VDISK", "MODE", "PHASE", "CURSOR", "SEGMENTS", "RELOCATED", "MiB/s", "ETA", "MESSAGE");
        for (SplitStatus s : c.get().splits()) {
            top.out.printf(
                    Locale.ROOT,
                    "%-32s %-6s %-10s %12d %12d %12s %10.1f %8s  %s%n",
                    s.volumeId(),
                    s.mode(),
                    s.phase().toLowerCase(Locale.ROOT),
                    s.segmentsScanned(),
                    s.segmentsTotal(),
                    new ByteSize(s.bytesRelocated()),
                    s.bytesPerSecond() / (1 << 20),
                    s.etaSeconds() < 0 ? "--" : s.etaSeconds() + "s",
                    s.message());
        }
        return VdiskCli.OK;
    }
}
