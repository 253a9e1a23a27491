package dev.vdisk.node.agent;

import dev.vdisk.node.backend.BlockBackend;
import dev.vdisk.node.datapath.DataPath;
import dev.vdisk.node.datapath.DataPath.AttachedVolume;
import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.host.Mounter;
import dev.vdisk.node.loop.LoopDevice;
import dev.vdisk.node.sys.MountTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent does at start about its predecessor. A dead agent (kill -9, crash, or a stop) leaves a FUSE
 * mount whose connection is gone; every loop device on one of its images answers EIO, and so does every
 * filesystem and bind mount on such a loop. None of that can work again (the /dev/fuse descriptor died with the
 * process), so it is torn down first and then the volumes the state file lists are staged and published again
 * on fresh loop devices, at the same paths.
 *
 * <ol>
 *   <li>{@link #clearDeadPredecessor}, before the new FUSE mount: lazily unmount every recorded target and staging
 *       path that is mounted, then every other mount whose source is a dead loop device (an orphan of a crash
 *       between mount and state write), then detach the dead loops (with AUTOCLEAR they usually went away with their
 *       last mount). Last, the dead FUSE mount is detached lazily.</li>
 *   <li>{@code DataPath.start} mounts a new FUSE filesystem there.</li>
 *   <li>{@link #restage}: per recorded volume, under its lock: stage (attach, mount; format only if blank, as
 *       always) and publish each recorded target. If any step fails, what was done is undone and the volume is
 *       marked abnormal with the reason: NodeGetVolumeStats reports it, NodeUnstageVolume forgets it. A volume
 *       that still exists but could not be staged (a full pool failing the mount or the format) is retried by
 *       {@link RestageRetries} until it is staged or the CO unstages it.</li>
 * </ol>
 *
 * <p>With a descriptor holder whose {@code fuse} entry is still the connection mounted at the FUSE mount point, the
 * predecessor's data path is alive and is taken over instead ({@code docs/architecture/restarts.md}):
 * <ol>
 *   <li>{@link #adopt}: bind each recorded volume's image to its engine backend, take the connection over (the
 *       kernel resends what the predecessor left unanswered) and each volume's loop device; images and loops of
 *       volumes the state file does not list are detached and dropped.</li>
 *   <li>{@link #resume}: per recorded volume, under its lock, redo only what is missing: the staging mount, a
 *       published target, or (no loop device taken over) the whole staging.</li>
 * </ol>
 * Without such an entry, {@link #dropHeld} lets go of everything the holder keeps and the steps above run.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private Recovery() {}

    static void clearDeadPredecessor(Path fuseMount, List<StagedVolume> recorded) throws IOException {
        String prefix = fuseMount.toAbsolutePath().normalize() + "/";
        List<LoopDevice.Attached> dead = LoopDevice.attached().stream()
                .filter(l -> l.backingFile().toString().startsWith(prefix))
                .toList();
        Set<String> deadDevices =
                dead.stream().map(l -> "/dev/loop" + l.number()).collect(Collectors.toSet());
        Set<String> deadRoots = dead.stream().map(l -> "/loop" + l.number()).collect(Collectors.toSet());
        for (StagedVolume v : recorded) {
            for (Path t : v.targets().keySet()) {
                detachAll(t, v.volumeId());
            }
            if (!v.block()) {
                detachAll(v.stagingPath(), v.volumeId());
            }
        }
        for (MountTable.Mount m : MountTable.mounts().reversed()) {
            boolean onDeadLoop =
                    deadDevices.contains(m.source()) || (m.fsType().equals("devtmpfs") && deadRoots.contains(m.root()));
            if (onDeadLoop) {
                LOG.warn("detaching orphan mount {} of dead {}{}", m.mountPoint(), m.source(), m.root());
                Mounter.unmountLazily(m.mountPoint());
            }
        }
        for (LoopDevice.Attached l : dead) {
            if (LoopDevice.backingFile(l.number()) != null) {
                LOG.info("detaching /dev/loop{} left on {} by a dead predecessor", l.number(), l.backingFile());
                try {
                    LoopDevice.adopt(l.number()).detach();
                } catch (IOException e) {
                    LOG.warn("detaching /dev/loop{} failed: {}", l.number(), e.getMessage());
                }
            }
        }
        // the dead FUSE mount itself: stat on it fails (ENOTCONN), so even creating the mount point directory would
        // fail before DataPath.start could replace it
        for (int i = 0; i < 8 && Mounter.isMountPoint(fuseMount); i++) {
            LOG.info("detaching the dead FUSE mount at {}", fuseMount);
            if (!Mounter.unmountLazily(fuseMount)) {
                break;
            }
        }
    }

    private static void detachAll(Path path, String volumeId) {
        for (int i = 0; i < 8 && Mounter.isMountPoint(path); i++) {
            LOG.info("detaching the dead mount at {} of volume {}", path, volumeId);
            if (!Mounter.unmountLazily(path)) {
                break;
            }
        }
    }

    /**
     * Takes over the data path the holder keeps, if its {@code fuse} entry is still the mounted connection; empty
     * otherwise. Volumes the state file lists but the pool no longer has get no backend (their images answer ESTALE).
     */
    static Optional<DataPath> adopt(NodeAgent agent, DescriptorStore store, List<StagedVolume> recorded)
            throws IOException {
        Map<String, BlockBackend> backends = new LinkedHashMap<>();
        for (StagedVolume v : recorded) {
            try {
                if (agent.exists(v.volumeId())) {
                    backends.put(v.volumeId(), agent.backendFor(v.volumeId()));
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("volume {} cannot be served after the restart: {}", v.volumeId(), e.getMessage());
            }
        }
        return DataPath.adopt(agent.config().fuse(), store, backends);
    }

    /** Lets go of every entry the holder keeps (no usable connection in it): the fresh start replaces them. */
    static void dropHeld(DescriptorStore store) throws IOException {
        for (String name : store.names()) {
            LOG.info("dropping the descriptor holder's entry {}: its connection cannot be taken over", name);
            store.drop(name);
        }
    }

    /**
     * After {@link #adopt}: per recorded volume, under its lock, checks the staging mount and every published
     * target and redoes only what is missing; a volume whose loop device was not taken over is staged again.
     */
    static void resume(NodeAgent agent, List<StagedVolume> recorded, RestageRetries retries) {
        for (StagedVolume v : recorded) {
            try (var held = agent.locks().lock(v.volumeId())) {
                Optional<AttachedVolume> attached = agent.attached(v.volumeId());
                if (attached.isEmpty()) {
                    restageOrMark(agent, v, retries);
                    continue;
                }
                int redone = 0;
                if (!v.block() && !Mounter.isMountPoint(v.stagingPath())) {
                    try {
                        agent.staging().mountStaging(v, attached.get().device());
                        redone++;
                    } catch (IOException | RuntimeException e) {
                        agent.markAbnormal(v.volumeId(), RESTAGE_FAILED + e.getMessage());
                        LOG.error(
                                "volume {} is abnormal: mounting it again at {} failed: {}",
                                v.volumeId(),
                                v.stagingPath(),
                                e.getMessage());
                        continue;
                    }
                }
                for (var t : v.targets().entrySet()) {
                    if (Mounter.isMountPoint(t.getKey())) {
                        continue;
                    }
                    if (publishOrMark(agent, v, t.getKey(), t.getValue())) {
                        redone++;
                    }
                }
                LOG.info(
                        "volume {} taken over on {} ({} mounts redone)",
                        v.volumeId(),
                        attached.get().device(),
                        redone);
            }
        }
    }

    /** Publishes {@code v} at {@code target} again; on failure marks it abnormal, logs once and returns false. */
    private static boolean publishOrMark(NodeAgent agent, StagedVolume v, Path target, boolean readOnly) {
        try {
            agent.staging().publish(v, target, readOnly);
            return true;
        } catch (IOException | RuntimeException e) {
            agent.markAbnormal(
                    v.volumeId(),
                    "could not publish again at " + target + " after the node agent restarted: " + e.getMessage());
            LOG.error(
                    "volume {} is abnormal: publishing it again at {} failed: {}",
                    v.volumeId(),
                    target,
                    e.getMessage());
            return false;
        }
    }

    /** The start of the condition of a volume that could not be staged again; the reason follows. */
    static final String RESTAGE_FAILED = "could not stage again after the node agent restarted: ";

    /** Stages and publishes every recorded volume; what fails to stage is marked and handed to {@code retries}. */
    static void restage(NodeAgent agent, List<StagedVolume> recorded, RestageRetries retries) {
        for (StagedVolume v : recorded) {
            try (var held = agent.locks().lock(v.volumeId())) {
                restageOrMark(agent, v, retries);
            }
        }
    }

    /** Stages {@code v} again; if that fails, marks it abnormal and hands it to {@code retries}. Caller holds its lock. */
    private static void restageOrMark(NodeAgent agent, StagedVolume v, RestageRetries retries) {
        Optional<String> failure = restageOne(agent, v);
        if (failure.isPresent()) {
            boolean exists = agent.exists(v.volumeId());
            agent.markAbnormal(v.volumeId(), RESTAGE_FAILED + failure.get() + (exists ? "; retrying by itself" : ""));
            LOG.error(
                    "volume {} is abnormal: staging it again failed: {}{}",
                    v.volumeId(),
                    failure.get(),
                    exists ? "; retrying with backoff" : "");
            if (exists) {
                retries.add(v, failure.get());
            }
        }
    }

    /**
     * Stages {@code v} and publishes its targets; the caller holds its lock. Returns why staging failed (then nothing
     * of it is left attached or mounted); a target that cannot be published marks the volume abnormal.
     */
    static Optional<String> restageOne(NodeAgent agent, StagedVolume v) {
        VolumeStaging staging = agent.staging();
        try {
            staging.stage(v);
        } catch (IOException | RuntimeException e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
        for (var t : v.targets().entrySet()) {
            publishOrMark(agent, v, t.getKey(), t.getValue());
        }
        LOG.info(
                "volume {} staged again at {} with {} targets",
                v.volumeId(),
                v.stagingPath(),
                v.targets().size());
        return Optional.empty();
    }
}
