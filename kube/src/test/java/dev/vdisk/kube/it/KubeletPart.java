package dev.vdisk.kube.it;

import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.agent.StagedVolume;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The kubelet's part in the cluster-mode tests: stages a volume as a block device through the node agent (as
 * NodeStageVolume would), works on it, unstages it (NodeUnstageVolume). Data goes in MiB chunks spread over the
 * volume (chunk i at i x {@link #STRIDE}: a split's progress by position then follows its bytes).
 */
final class KubeletPart {
    private static final long MIB = 1 << 20;
    /** Written chunks of a MiB lie this far apart in a 16 MiB volume. */
    static final long STRIDE = 4 * MIB;

    /** The node agent running now (a test may restart it). */
    private final Supplier<NodeAgent> agent;
    /** Waits until the node reports the volume unstaged again. */
    private final Consumer<String> awaitUnstaged;

    KubeletPart(Supplier<NodeAgent> agent, Consumer<String> awaitUnstaged) {
        this.agent = agent;
        this.awaitUnstaged = awaitUnstaged;
    }

    /** What the test does while the volume is staged. */
    interface StagedWork {
        void run() throws IOException;
    }

    private interface ChannelWork {
        void run(FileChannel ch) throws IOException;
    }

    /** Stages the volume as a block device, writes {@code data}, unstages it. */
    void write(String volumeId, byte[] data) throws IOException {
        onLoopDevice(volumeId, StandardOpenOption.WRITE, ch -> {
            for (int chunk = 0; chunk * MIB < data.length; chunk++) {
                ByteBuffer b =
                        ByteBuffer.wrap(data, (int) (chunk * MIB), (int) MIB).slice();
                while (b.hasRemaining()) {
                    ch.write(b, chunk * STRIDE + b.position());
                }
            }
            ch.force(true);
        });
        awaitUnstaged.accept(volumeId);
    }

    /** What {@link #write} wrote, read back from the same places. */
    byte[] read(String volumeId, int length) throws IOException {
        byte[] out = new byte[length];
        onLoopDevice(volumeId, StandardOpenOption.READ, ch -> {
            for (int chunk = 0; chunk * MIB < length; chunk++) {
                ByteBuffer b =
                        ByteBuffer.wrap(out, (int) (chunk * MIB), (int) MIB).slice();
                while (b.hasRemaining() && ch.read(b, chunk * STRIDE + b.position()) >= 0) {
                    // until full
                }
            }
        });
        awaitUnstaged.accept(volumeId);
        return out;
    }

    /** Runs {@code work} while the volume is staged as a block device; unstages it even when the work fails. */
    void whileStaged(String volumeId, StagedWork work) throws IOException {
        NodeAgent a = agent.get();
        StagedVolume staged = new StagedVolume(
                volumeId,
                a.config().kubeletDir().resolve("s-" + volumeId),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of());
        try (var held = a.locks().lock(volumeId)) { // NodeStageVolume
            a.staging().stage(staged);
            a.staged().put(staged);
        }
        try {
            work.run();
        } finally {
            try (var held = a.locks().lock(volumeId)) { // NodeUnstageVolume
                a.staging().unstage(staged, false);
                a.staged().remove(volumeId);
            }
        }
    }

    private void onLoopDevice(String volumeId, StandardOpenOption mode, ChannelWork work) throws IOException {
        whileStaged(volumeId, () -> {
            int loop = agent.get().attached(volumeId).orElseThrow().loopNumber();
            try (FileChannel ch = FileChannel.open(Path.of("/dev/loop" + loop), mode)) {
                work.run(ch);
            }
        });
    }
}
