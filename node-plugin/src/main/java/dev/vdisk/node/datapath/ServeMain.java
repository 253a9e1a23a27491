package dev.vdisk.node.datapath;

import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.backend.EngineBackend;
import dev.vdisk.node.backend.FileBackend;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.fuse.FuseTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * Stand-alone server for the benchmark ({@code e2e/bench/datapath.sh}): serves one file, or one engine vdisk
 * ({@code --pool}: the pool is created in DIR with room for twice the vdisk if it does not exist, and the vdisk
 * of {@code --size} bytes is created in it if missing), through FUSE, attaches a loop device to it, prints {@code DEVICE /dev/loopN}, and runs until stdin closes or the JVM is
 * told to stop (SIGTERM), then detaches and unmounts.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... dev.vdisk.node.datapath.ServeMain \
 *      --mount DIR (--file PATH | --pool DIR --vdisk NAME) --size BYTES [--direct] [--native-io] [--workers N] [--no-clone] [--max-background N]
 *      [--transport dev|uring|auto] [--ring-threads N] [--ring-depth N]
 * </pre>
 * Prints {@code TRANSPORT dev|uring} before {@code DEVICE}.
 */
public final class ServeMain {
    private ServeMain() {}

    public static void main(String[] args) throws Exception {
        Path mount = null;
        Path file = null;
        Path poolDir = null;
        String vdiskName = null;
        long size = 0;
        boolean direct = false;
        boolean nativeIo = false;
        FuseConfig config = FuseConfig.defaults();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mount" -> mount = Path.of(args[++i]);
                case "--file" -> file = Path.of(args[++i]);
                case "--pool" -> poolDir = Path.of(args[++i]);
                case "--vdisk" -> vdiskName = args[++i];
                case "--size" -> size = Long.parseLong(args[++i]);
                case "--direct" -> direct = true;
                case "--native-io" -> nativeIo = true;
                case "--workers" -> config = config.withWorkers(Integer.parseInt(args[++i]));
                case "--no-clone" -> config = config.withCloneDevice(false);
                case "--max-background" -> config = config.withMaxBackground(Integer.parseInt(args[++i]));
                case "--transport" ->
                    config = config.withTransport(FuseTransport.valueOf(args[++i].toUpperCase(Locale.ROOT)));
                case "--ring-threads" -> config = config.withRing(Integer.parseInt(args[++i]), config.ringDepth());
                case "--ring-depth" -> config = config.withRing(config.ringThreads(), Integer.parseInt(args[++i]));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (mount == null
                || (file == null) == (poolDir == null)
                || (poolDir != null && vdiskName == null)
                || size <= 0) {
            System.err.println("usage: ServeMain --mount DIR (--file PATH | --pool DIR --vdisk NAME) --size BYTES"
                    + " [--direct] [--workers N] [--no-clone]");
            System.exit(2);
        }
        Pool pool = poolDir == null ? null : openOrCreate(poolDir, vdiskName, size);
        BlockBackend backend = pool == null
                ? FileBackend.open(file, size, direct, nativeIo)
                : new EngineBackend(pool.vdisks().get(vdiskName));
        String volumeId = pool == null ? file.getFileName().toString() : vdiskName;
        DataPath dataPath = DataPath.start(mount, config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            dataPath.close();
                            stopped.countDown();
                        },
                        "datapath-shutdown"));
        DataPath.AttachedVolume volume = dataPath.attach(volumeId, backend);
        System.out.println("TRANSPORT " + dataPath.transport().name().toLowerCase(Locale.ROOT));
        System.out.println("DEVICE " + volume.device());
        System.out.flush();
        while (System.in.read() >= 0) {
            // run until stdin closes
        }
        dataPath.close();
        if (backend instanceof FileBackend f) {
            f.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    private static Pool openOrCreate(Path dir, String vdisk, long size) {
        Pool pool = Files.isDirectory(dir) ? Pool.open(dir) : Pool.create(dir, PoolSpec.ofSize(2 * size));
        if (pool.vdisks().list().stream().noneMatch(v -> v.name().equals(vdisk))) {
            pool.vdisks().create(vdisk, size);
        }
        return pool;
    }
}
