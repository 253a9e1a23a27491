package dev.vdisk.cli;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolImport;
import dev.vdisk.engine.PoolInfo;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.check.CheckReport;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code vdisk pool create|import|info}. {@code pool import} rebuilds a missing {@code pool.properties} from the pool's
 * own files after a clean check ({@link PoolImport}); it is what {@code pool create} points to instead of creating
 * over an existing pool.
 */
@Command(name = "pool", mixinStandardHelpOptions = true, description = "Create, import or describe a pool.")
final class PoolCommand implements Runnable {

    @ParentCommand
    VdiskCli top;

    @Override
    public void run() {
        throw VdiskCli.usage(top.current(), "missing pool subcommand: create, import or info");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a pool in DIR.")
    int create(
            @Parameters(paramLabel = "DIR") Path dir,
            @Option(names = "--size", required = true, paramLabel = "SIZE") ByteSize size,
            @Option(names = "--device", paramLabel = "DEV", description = "data on this block device") Path device,
            @Option(names = "--segment-size", paramLabel = "SIZE") ByteSize segmentSize,
            @Option(
                            names = "--journal",
                            paramLabel = "DIR",
                            description = "the journal elsewhere, e.g. on a " + "faster disk")
                    Path journal) {
        long seg = segmentSize == null ? PoolSpec.DEFAULT_SEGMENT_SIZE : segmentSize.bytes();
        if (seg > Integer.MAX_VALUE) {
            throw VdiskCli.usage(top.current(), "--segment-size is too large");
        }
        try (Pool p = Pool.create(dir, new PoolSpec(size.bytes(), (int) seg, device, journal))) {
            PoolInfo i = p.info();
            top.out.println("created pool " + dir + ": " + new ByteSize(i.sizeBytes()) + " in segments of "
                    + new ByteSize(i.segmentSize()) + ", data " + i.dataPath() + ", journal " + i.journalDir());
        }
        return VdiskCli.OK;
    }

    @Command(
            name = "import",
            mixinStandardHelpOptions = true,
            description =
                    "Rebuild a lost pool.properties of the " + "pool in DIR from its own files, after a clean check.")
    int importPool(
            @Parameters(paramLabel = "DIR") Path dir,
            @Option(names = "--device", paramLabel = "DEV") Path device,
            @Option(names = "--journal", paramLabel = "DIR") Path journal) {
        top.err.println("importing pool " + dir + " (recovery, then a check) ...");
        CheckReport r = PoolImport.run(dir, device, journal, top.poolOptions());
        if (!r.clean()) {
            for (CheckReport.Problem problem : r.problems()) {
                top.out.println(problem);
            }
            top.err.println("vdisk: not imported: the check found "
                    + r.problems().size() + " problem(s) (above);" + " pool.properties was not written [CORRUPT]");
            return VdiskCli.FAILED;
        }
        try (Pool p = Pool.open(dir)) {
            PoolInfo i = p.info();
            top.out.println("imported pool " + dir + " (uuid " + i.uuid() + "): " + i.vdisks() + " vdisks, "
                    + new ByteSize(i.sizeBytes()) + ", data " + i.dataPath() + ", journal " + i.journalDir());
        }
        return VdiskCli.OK;
    }

    @Command(
            name = "info",
            mixinStandardHelpOptions = true,
            description = "Size, used, free, segment size, " + "generation, journal size.")
    int info() {
        try (Pool p = top.open(top.poolDir())) {
            PoolInfo i = p.info();
            row("directory:", i.dir());
            row("data:", i.dataPath());
            row("journal:", i.journalDir() + " (" + new ByteSize(i.journalBytes()) + ")");
            row("uuid:", i.uuid());
            row("format:", i.formatVersion());
            row("segment size:", new ByteSize(i.segmentSize()));
            row("size:", new ByteSize(i.sizeBytes()));
            row("used:", new ByteSize(i.usedBytes()));
            row("free:", new ByteSize(i.freeBytes()));
            row("available:", new ByteSize(i.availableBytes()));
            row("pending free:", new ByteSize(i.pendingBytes()));
            row("generation:", i.generation());
            row("vdisks:", i.vdisks());
        }
        return VdiskCli.OK;
    }

    private void row(String key, Object value) {
        top.out.printf("%-14s %s%n", key, value);
    }
}
