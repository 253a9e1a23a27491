package dev.vdisk.node.datapath;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.backend.FileBackend;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.TestHolder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Child process of {@link DataPathHandoverTest}: serves {@code <dir>/backing.img} as volume {@code vol-1} through
 * a data path at {@code <dir>/fuse} whose store is the test's {@link TestHolder}, prints {@code @@@ DEVICE
 * /dev/loopN}, then waits to be stopped: SIGTERM runs {@link DataPath#close} (the hand-over), SIGKILL nothing.
 * Args: directory, size in bytes.
 */
public final class HandoverChild {
    private HandoverChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        FileBackend backend = FileBackend.open(dir.resolve("backing.img"), Long.parseLong(args[1]), false);
        DataPath dataPath = DataPath.start(dir.resolve("fuse"), config(), Optional.of(new TestHolder.Child()));
        Runtime.getRuntime().addShutdownHook(new Thread(dataPath::close, "handover-child-stop"));
        // slow writes: the SIGKILL almost surely finds a request read and not answered
        DataPath.AttachedVolume volume = dataPath.attach("vol-1", new SlowWrites(backend));
        System.out.println("@@@ DEVICE " + volume.device() + " " + dataPath.handsOver());
        System.out.flush();
        Thread.sleep(600_000);
        System.exit(3);
    }

    /** Takes 5 ms per write, so that most of the time a request is in the child's hands. */
    private record SlowWrites(BlockBackend inner) implements BlockBackend {
        @Override
        public int read(long offset, ByteBuffer dst) throws IOException {
            return inner.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inner.write(offset, src);
        }

        @Override
        public void flush() throws IOException {
            inner.flush();
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            inner.discard(offset, length);
        }

        @Override
        public long size() {
            return inner.size();
        }
    }

    static FuseConfig config() {
        return FuseConfig.defaults().withWorkers(4);
    }
}
