package dev.vdisk.bench;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.Vdisk;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Engine side of {@code e2e/bench/engine.sh}: runs one workload on a pool with {@code depth} threads issuing
 * synchronous requests (queue depth = threads) and prints {@code RESULT name requests seconds bytes}. The access
 * pattern is the one {@code qemu-img bench} uses: request i at {@code (i * step) mod size}, so a step that is an odd
 * number of blocks visits every block of the range in a scattered order.
 *
 * <pre>
 * EngineBench POOL_DIR NAME write|read SIZE BUFFER STEP COUNT DEPTH FLUSH_INTERVAL(0 = none) [create]
 * </pre>
 */
public final class EngineBench {
    private EngineBench() {}

    public static void main(String[] a) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path dir = Path.of(a[0]);
        String name = a[1];
        boolean write = a[2].equals("write");
        long size = ByteSize.parse(a[3]).bytes();
        int buffer = (int) ByteSize.parse(a[4]).bytes();
        long step = ByteSize.parse(a[5]).bytes();
        long count = Long.parseLong(a[6]);
        int depth = Integer.parseInt(a[7]);
        long flushInterval = Long.parseLong(a[8]);
        boolean create = a.length > 9 && a[9].equals("create");
        // -Dbench.mapCache=SIZE: the map node cache (e2e/bench/map-cache.sh: one that holds the map, one that does not)
        PoolOptions o = PoolOptions.defaults()
                .withMapCacheBytes(ByteSize.parse(System.getProperty("bench.mapCache", "64M"))
                        .bytes());
        try (Pool pool = create
                ? Pool.create(
                        dir,
                        PoolSpec.ofSize(ByteSize.parse(System.getProperty("bench.pool", "16G"))
                                .bytes()),
                        o)
                : Pool.open(dir, o)) {
            if (pool.vdisks().list().stream().noneMatch(v -> v.name().equals(name))) {
                pool.vdisks().create(name, size);
            }
            Vdisk v = pool.vdisks().get(name);
            AtomicLong next = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < depth; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(buffer);
                    for (int i = 0; i < buffer; i += 8) {
                        b.putLong(i, 0x5a5a5a5a5a5a5a5aL ^ i);
                    }
                    while (true) {
                        long i = next.getAndIncrement();
                        if (i >= count) {
                            return;
                        }
                        long off = Math.floorMod(i * step, size);
                        if (off + buffer > size) {
                            off = 0;
                        }
                        b.clear();
                        if (write) {
                            v.write(off, b);
                            if (flushInterval > 0 && i % flushInterval == flushInterval - 1) {
                                v.flush();
                            }
                        } else {
                            v.read(off, b);
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            if (write && flushInterval > 0) {
                v.flush();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "RESULT %s %d %.3f %d%n", name, count, secs, count * buffer);
        }
    }
}
