package dev.vdisk.node.datapath;

import dev.vdisk.node.backend.FileBackend;
import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.testing.TestHolder;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Child process of {@link DataPathHandoverTest}: serves {@code <dir>/backing.img} as volume {@code vol-1} through
 * a data path at {@code <dir>/fuse} whose store is the test's {@link TestHolder}, prints {@code @@@ DEVICE
 * /dev/loopN}, then waits to be stopped: SIGTERM runs {@link DataPath#close} (the hand-over), SIGKILL nothing.
 * Args: directory, size in bytes.
 */
public final class HandoverChild {
    private HandoverChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        FileBackend backend = FileBackend.open(dir.resolve("backing.img"), Long.parseLong(args[1]), false);
        DataPath dataPath = DataPath.start(dir.resolve("fuse"), config(),
                Optional.of(new TestHolder.Child()));
        Runtime.getRuntime().addShutdownHook(new Thread(dataPath::close, "handover-child-stop"));
        DataPath.AttachedVolume volume = dataPath.attach("vol-1", backend);
        System.out.println("@@@ DEVICE " + volume.device() + " " + dataPath.handsOver());
        System.out.flush();
        Thread.sleep(600_000);
        System.exit(3);
    }

    static FuseConfig config() {
        return FuseConfig.defaults().withWorkers(4);
    }
}
