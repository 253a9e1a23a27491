package dev.vdisk.engine;

import dev.vdisk.engine.io.DataSpace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * A data space that, once armed, blocks the first write of the thread named {@code thread} (a metadata operation's
 * consistency point) until released, so a test can act and copy the pool (a kill) while that point is unwritten.
 */
final class BlockingDataSpace extends DataSpace {
    private final String thread;
    volatile boolean armed;
    final CountDownLatch blocked = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    BlockingDataSpace(Path p, String thread) {
        super(p);
        this.thread = thread;
    }

    @Override
    public void writeFully(ByteBuffer src, long pos) {
        if (armed && Thread.currentThread().getName().equals(thread)) {
            armed = false;
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        super.writeFully(src, pos);
    }

    /** Copies pool directory {@code from} (files as the page cache has them) to {@code to}, pointing it at its own files. */
    static void copyPool(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path x : s.toList()) {
                Path y = to.resolve(from.relativize(x).toString());
                if (Files.isDirectory(x)) {
                    Files.createDirectories(y);
                } else if (!x.getFileName().toString().equals("pool.lock")) {
                    Files.copy(x, y);
                }
            }
        }
        // the layout names the data file and the journal by absolute path
        PoolFiles.write(to, new PoolFiles.Layout(to.resolve(PoolFiles.DATA), false, to.resolve(PoolFiles.JOURNAL)));
    }
}
