package dev.vdisk.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.handover.DescriptorHolder;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.handover.HolderClient;
import dev.vdisk.node.host.Mounter;
import dev.vdisk.node.loop.LoopDevice;
import dev.vdisk.node.testing.Command;
import dev.vdisk.node.testing.LeakCheck;
import dev.vdisk.node.testing.Privileged;
import dev.vdisk.node.testing.TestHolder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node agent with a descriptor holder stops without unmounting or detaching anything, and the next one takes the
 * volumes over: the same loop devices, the mounts left in place, only what is missing redone.
 */
@ExtendWith(Privileged.class)
class NodeAgentHandoverTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private final TestHolder holder = new TestHolder();

    @AfterEach
    void nothingLeft() throws Exception {
        holder.close();
        LeakCheck.unmountAllUnder(dir);
        LeakCheck.assertNothingLeftUnder(dir);
    }

    private AgentConfig config(DescriptorStore store) {
        return new AgentConfig(
                        dir.resolve("pool"),
                        OptionalLong.of(256 * MIB),
                        dir.resolve("state"),
                        dir.resolve("kubelet"),
                        "n1",
                        4,
                        FuseConfig.defaults().withWorkers(4))
                .withOptions(AgentOptions.defaults().withDescriptors(store));
    }

    /** The store each agent gets: the test's holder, or a new client of a real holder process's server. */
    interface Stores {
        DescriptorStore next() throws Exception;
    }

    @Test
    void aStoppedAgentsVolumesAreTakenOverByTheNext() throws Exception {
        takeOver(() -> holder, holder::names);
    }

    @Test
    void theSameThroughTheRealHolder() throws Exception {
        try (DescriptorHolder server =
                DescriptorHolder.start(dir.resolve("holder/socket"), DescriptorHolder.Limits.DEFAULT)) {
            List<HolderClient> clients = new ArrayList<>();
            try {
                takeOver(
                        () -> {
                            clients.forEach(HolderClient::close); // the previous agent's process is gone
                            HolderClient c = HolderClient.connect(server.socket(), Duration.ofSeconds(10));
                            clients.add(c);
                            return c;
                        },
                        () -> clients.getLast().names());
            } finally {
                clients.forEach(HolderClient::close);
            }
        }
    }

    @Test
    void anAgentStartedBeforeItsHolderHandsOverOnceTheHolderIsUp() throws Exception {
        Path socket = dir.resolve("holder/socket");
        Path kubelet = dir.resolve("kubelet");
        StagedVolume blk = new StagedVolume(
                "pvc-blk",
                kubelet.resolve("s-blk"),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of(kubelet.resolve("t-blk"), false));
        byte[] pattern = new byte[4096];
        Arrays.fill(pattern, (byte) 0x3c);
        DescriptorHolder server = null;
        int blkLoop;
        try {
            try (HolderClient first = HolderClient.connectOrAway(socket, Duration.ofMillis(500))) {
                long start = System.nanoTime();
                try (NodeAgent agent = NodeAgent.start(config(first))) {
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    System.out.printf("agent started without its holder in %d ms%n", millis);
                    assertTrue(millis < 30_000, "the start did not wait for the holder: " + millis + " ms");
                    agent.createVolume("pvc-blk", 16 * MIB);
                    try (var held = agent.locks().lock("pvc-blk")) {
                        agent.staging().stage(blk);
                        agent.staging().publish(blk, kubelet.resolve("t-blk"), false);
                        agent.staged().put(blk);
                    }
                    try (FileChannel c = FileChannel.open(kubelet.resolve("t-blk"), StandardOpenOption.WRITE)) {
                        c.write(ByteBuffer.wrap(pattern), 4096);
                        c.force(false);
                    }
                    blkLoop = agent.attached("pvc-blk").orElseThrow().loopNumber();
                    server = DescriptorHolder.start(socket, DescriptorHolder.Limits.DEFAULT);
                    long up = System.nanoTime();
                    while (!first.connected()
                            && System.nanoTime() - up < Duration.ofSeconds(10).toNanos()) {
                        Thread.sleep(100);
                    }
                    assertTrue(first.connected(), "the agent's client connected to the holder that came up");
                }
            }
            try (HolderClient second = HolderClient.connect(socket, Duration.ofSeconds(10))) {
                assertEquals(
                        List.of("fuse", "loop/pvc-blk"),
                        second.names().stream().sorted().toList(),
                        "the late holder got the first agent's entries");
                try (NodeAgent agent = NodeAgent.start(config(second))) {
                    assertEquals(
                            blkLoop, agent.attached("pvc-blk").orElseThrow().loopNumber(), "the same loop device");
                    ByteBuffer read = ByteBuffer.allocate(4096);
                    try (FileChannel c = FileChannel.open(kubelet.resolve("t-blk"), StandardOpenOption.READ)) {
                        c.read(read, 4096);
                    }
                    assertTrue(Arrays.equals(pattern, read.array()), "the block volume's data");
                    try (var held = agent.locks().lock("pvc-blk")) {
                        agent.staging().unpublish(blk, kubelet.resolve("t-blk"));
                        agent.staging().unstage(blk, false);
                        agent.staged().remove("pvc-blk");
                    }
                }
                assertEquals(List.of(), second.names(), "a stop with nothing staged drops every entry");
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    interface Names {
        List<String> get() throws Exception;
    }

    private void takeOver(Stores stores, Names names) throws Exception {
        Path kubelet = dir.resolve("kubelet");
        StagedVolume fs = new StagedVolume(
                "pvc-fs",
                kubelet.resolve("s-fs"),
                false,
                "ext4",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of(kubelet.resolve("t-fs"), false));
        StagedVolume blk = new StagedVolume(
                "pvc-blk",
                kubelet.resolve("s-blk"),
                true,
                "",
                List.of(),
                "SINGLE_NODE_WRITER",
                Map.of(kubelet.resolve("t-blk"), false));
        byte[] pattern = new byte[4096];
        Arrays.fill(pattern, (byte) 0x5a);
        int fsLoop, blkLoop;
        try (NodeAgent agent = NodeAgent.start(config(stores.next()))) {
            agent.createVolume("pvc-fs", 64 * MIB);
            agent.createVolume("pvc-blk", 16 * MIB);
            for (StagedVolume v : List.of(fs, blk)) {
                try (var held = agent.locks().lock(v.volumeId())) {
                    agent.staging().stage(v);
                    for (var t : v.targets().entrySet()) {
                        agent.staging().publish(v, t.getKey(), t.getValue());
                    }
                    agent.staged().put(v);
                }
            }
            Files.writeString(kubelet.resolve("t-fs/hello"), "before the restart");
            try (FileChannel c = FileChannel.open(kubelet.resolve("t-blk"), StandardOpenOption.WRITE)) {
                c.write(ByteBuffer.wrap(pattern), 8192);
                c.force(false);
            }
            Command.tryRun(60, "sync");
            fsLoop = agent.attached("pvc-fs").orElseThrow().loopNumber();
            blkLoop = agent.attached("pvc-blk").orElseThrow().loopNumber();
        }
        // handed over: everything stays, the holder keeps the connection and both loops
        assertTrue(
                Mounter.isMountPoint(fs.stagingPath())
                        && Mounter.isMountPoint(kubelet.resolve("t-fs"))
                        && Mounter.isMountPoint(kubelet.resolve("t-blk")),
                "nothing unmounted");
        assertTrue(
                LoopDevice.backingFile(fsLoop) != null && LoopDevice.backingFile(blkLoop) != null, "nothing detached");
        assertEquals(
                List.of("fuse", "loop/pvc-blk", "loop/pvc-fs"),
                names.get().stream().sorted().toList());
        // a target that went away meanwhile is the one thing the next agent redoes
        Mounter.unmountLazily(kubelet.resolve("t-blk"));

        try (NodeAgent agent = NodeAgent.start(config(stores.next()))) {
            assertEquals(fsLoop, agent.attached("pvc-fs").orElseThrow().loopNumber(), "the same loop device");
            assertEquals(blkLoop, agent.attached("pvc-blk").orElseThrow().loopNumber(), "the same loop device");
            assertTrue(Mounter.isMountPoint(kubelet.resolve("t-blk")), "the missing target is published again");
            assertEquals("before the restart", Files.readString(kubelet.resolve("t-fs/hello")));
            Files.writeString(kubelet.resolve("t-fs/hello"), "after the restart");
            try (FileChannel c = FileChannel.open(kubelet.resolve("t-fs/hello"), StandardOpenOption.WRITE)) {
                c.force(true); // an fsync through the taken-over connection
            }
            ByteBuffer read = ByteBuffer.allocate(4096);
            try (FileChannel c = FileChannel.open(kubelet.resolve("t-blk"), StandardOpenOption.READ)) {
                c.read(read, 8192);
            }
            assertTrue(Arrays.equals(pattern, read.array()), "the block volume's data");
            assertEquals("after the restart", Files.readString(kubelet.resolve("t-fs/hello"), StandardCharsets.UTF_8));
            assertFalse(agent.abnormal("pvc-fs").isPresent()
                    || agent.abnormal("pvc-blk").isPresent());
            // the CO unstages both: with nothing staged the stop leaves nothing behind
            for (StagedVolume v : List.of(fs, blk)) {
                try (var held = agent.locks().lock(v.volumeId())) {
                    for (Path t : v.targets().keySet()) {
                        agent.staging().unpublish(v, t);
                    }
                    agent.staging().unstage(v, false);
                    agent.staged().remove(v.volumeId());
                }
            }
        }
        assertEquals(List.of(), names.get(), "a stop with nothing staged drops every entry");
        assertFalse(Mounter.isMountPoint(dir.resolve("state/fuse")), "and unmounts");
    }
}
