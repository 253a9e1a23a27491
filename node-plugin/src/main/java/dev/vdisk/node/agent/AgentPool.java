package dev.vdisk.node.agent;

import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolOptions;
import dev.vdisk.engine.PoolSpec;
import dev.vdisk.engine.io.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the node agent's pool at start, or creates it the first time. */
final class AgentPool {
    private static final Logger LOG = LoggerFactory.getLogger(AgentPool.class);

    private AgentPool() {}

    /** Opens the pool in {@code --pool}, or creates it there: sparse, {@code --pool-size} or 90% of the free space. */
    static Pool openOrCreate(AgentConfig config) throws IOException {
        Path dir = config.poolDir();
        if (Files.exists(dir.resolve("pool.properties"))) {
            // a damaged journal refuses to open unless the operator accepted the loss (the pool logs what it lost)
            return Pool.open(
                    dir,
                    PoolOptions.defaults()
                            .withAcceptJournalLoss(config.options().acceptJournalLoss())
                            .withMapCacheBytes(config.options().mapCacheBytes()));
        }
        PrivateFiles.createDirectories(dir);
        long size = config.poolSize().orElseGet(() -> {
            try {
                return Files.getFileStore(dir).getUsableSpace() / 10 * 9;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        size -= size % PoolSpec.DEFAULT_SEGMENT_SIZE;
        LOG.info("creating pool in {} ({} bytes, sparse)", dir, size);
        return Pool.create(
                dir,
                PoolSpec.ofSize(size),
                PoolOptions.defaults().withMapCacheBytes(config.options().mapCacheBytes()));
    }
}
