package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.node.datapath.DataPath.AttachedVolume;
import dev.vdisk.node.host.Filesystems;
import dev.vdisk.node.host.KubeletTree;
import dev.vdisk.node.host.Mounter;
import dev.vdisk.node.loop.LoopDevice;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.PathFd;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host work of staging and publishing one volume, each step undone in reverse when a later one fails, so a
 * failed call leaves nothing attached or mounted. Every method needs the caller to hold the volume's
 * {@link VolumeLocks} lock; the Node service's checks (required fields, idempotency) come before.
 */
public final class VolumeStaging {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeStaging.class);
    private static final String STAGING = "staging_target_path", TARGET = "target_path";
    /** At most this many mounts stacked on one path are taken off. */
    private static final int MAX_STACKED = 8;

    private final NodeAgent agent;

    VolumeStaging(NodeAgent agent) {
        this.agent = agent;
    }

    /**
     * Attaches the volume; for a mount volume, formats it if (and only if) blkid finds no signature at all, and
     * mounts it at the staging path. Returns the block device.
     */
    public Path stage(StagedVolume v) throws IOException {
        AttachedVolume attached = attach(v.volumeId());
        try {
            if (!v.block()) {
                mountStaging(v, attached.device());
            }
            LOG.info(
                    "staged volume {} on {} ({}) at {}",
                    v.volumeId(),
                    attached.device(),
                    v.block() ? "block" : v.fsType(),
                    v.stagingPath());
            return attached.device();
        } catch (IOException | RuntimeException e) {
            detach(v.volumeId());
            throw e;
        }
    }

    /** Mount volume: formats the device if blank and mounts it at the staging path. */
    void mountStaging(StagedVolume v, Path device) throws IOException {
        try (PathFd staging = tree().directory(STAGING, v.stagingPath())) {
            formatIfBlank(v, device);
            List<String> options = new ArrayList<>(v.mountFlags());
            if (v.readOnly()) {
                options.add("ro");
            }
            Mounter.mount(device, staging, v.stagingPath().toString(), v.fsType(), options);
        }
    }

    private static void formatIfBlank(StagedVolume v, Path device) throws IOException {
        Map<String, String> found = Filesystems.probe(device);
        if (found.isEmpty()) {
            if (v.readOnly()) {
                throw new AgentException(
                        AgentReason.FAILED_PRECONDITION,
                        "volume " + v.volumeId() + " is blank and the" + " access mode " + v.accessMode()
                                + " is read-only: there is no filesystem to mount");
            }
            Filesystems.format(device, v.fsType());
            LOG.info("formatted volume {} ({}) as {}", v.volumeId(), device, v.fsType());
        } else if (!v.fsType().equals(found.get("TYPE"))) {
            // never format over anything: a partition table, another filesystem, LVM, ... may be someone's data
            throw new AgentException(
                    AgentReason.FAILED_PRECONDITION,
                    "volume " + v.volumeId() + " holds " + found + " and the request asks for " + v.fsType()
                            + "; refusing to format over an existing signature");
        }
    }

    /**
     * Unmounts the staging path (lazily when {@code deadPath}: the volume's data path is gone and its mount can only
     * fail) and detaches the volume, plus any loop device a dead predecessor left on its image.
     */
    public void unstage(StagedVolume v, boolean deadPath) throws IOException {
        if (!v.block()) {
            if (deadPath) {
                for (int i = 0; i < MAX_STACKED && tree().unmount(STAGING, v.stagingPath(), true) == 0; i++) {
                    LOG.info("detached the dead mount of volume {} at {}", v.volumeId(), v.stagingPath());
                }
            } else {
                int r = tree().unmount(STAGING, v.stagingPath(), false);
                if (r != 0 && r != Libc.EINVAL) {
                    throw new ErrnoException("umount2(" + v.stagingPath() + ")", r);
                }
            }
        }
        detach(v.volumeId());
        LOG.info("unstaged volume {} from {}", v.volumeId(), v.stagingPath());
    }

    /**
     * Bind-mounts the staging directory (mount volume) or the device node (block volume, onto a file this method
     * creates) at {@code target}, read-only if asked or if the access mode is read-only. Both paths are opened
     * without following links and the mount is made onto the opened target.
     */
    public void publish(StagedVolume v, Path target, boolean readOnly) throws IOException {
        boolean ro = readOnly || v.readOnly();
        KubeletTree tree = tree();
        if (v.block()) {
            Path device = agent.attached(v.volumeId())
                    .orElseThrow(() -> new AgentException(
                            AgentReason.FAILED_PRECONDITION, "volume " + v.volumeId() + " is staged but not attached"))
                    .device();
            KubeletTree.OpenedFile file = tree.file(TARGET, target);
            try (PathFd dst = file.fd();
                    PathFd src = PathFd.open(device, 0)) {
                Mounter.bind(src, dst, ro);
            } catch (IOException | RuntimeException e) {
                if (file.created()) {
                    tree.delete(TARGET, target);
                }
                throw e;
            }
        } else {
            try (PathFd src = tree.existing(STAGING, v.stagingPath());
                    PathFd dst = tree.directory(TARGET, target)) {
                Mounter.bind(src, dst, ro);
            }
        }
        LOG.info("published volume {} at {} ({})", v.volumeId(), target, ro ? "read-only" : "read-write");
    }

    /**
     * Unmounts {@code target} (every mount stacked there, never through a link) and removes the file or empty
     * directory.
     */
    public void unpublish(StagedVolume v, Path target) throws IOException {
        KubeletTree tree = tree();
        int r = 0;
        for (int i = 0; i < MAX_STACKED && r != Libc.EINVAL; i++) {
            r = tree.unmount(TARGET, target, false);
            if (r == Libc.EBUSY) {
                // a bind mount still in use: detaching it from the tree is safe, the staging mount stays
                LOG.warn("target {} of volume {} is busy; detaching it lazily", target, v.volumeId());
                r = tree.unmount(TARGET, target, true);
            }
            if (r != 0 && r != Libc.EINVAL) {
                throw new ErrnoException("umount2(" + target + ")", r);
            }
        }
        if (r != Libc.EINVAL) {
            throw new IOException("target " + target + " of volume " + v.volumeId() + " is still mounted");
        }
        if (!tree.delete(TARGET, target)) {
            LOG.warn("left the directory {} of volume {} in place: it is not empty", target, v.volumeId());
        }
        LOG.info("unpublished volume {} from {}", v.volumeId(), target);
    }

    /** Opened per call: the kubelet directory is resolved from the agent's configuration. */
    private KubeletTree tree() {
        return new KubeletTree(agent.config().kubeletDir());
    }

    /**
     * At agent shutdown: unmounts each volume's targets lazily and its staging mount with a real unmount when nothing
     * uses it, so the filesystem is written back while the data path still works. Takes each volume's lock.
     */
    void unmountForShutdown(List<StagedVolume> volumes) {
        for (StagedVolume v : volumes) {
            try (var held = agent.locks().lock(v.volumeId())) {
                v.targets().keySet().forEach(Mounter::unmountLazily);
                if (!v.block()) {
                    Mounter.unmountQuietly(v.stagingPath());
                }
                LOG.info("unmounted volume {} for shutdown; it stays recorded as staged", v.volumeId());
            } catch (RuntimeException e) {
                LOG.error("unmounting volume {} for shutdown failed", v.volumeId(), e);
            }
        }
    }

    /** Attaches the volume's vdisk as a loop device. NOT_FOUND (engine) if the vdisk does not exist. */
    private AttachedVolume attach(String volumeId) throws IOException {
        try {
            return agent.dataPath().attach(volumeId, agent.backendFor(volumeId));
        } catch (IOException | RuntimeException e) {
            agent.throttles().remove(volumeId);
            throw e;
        }
    }

    /** Detaches the volume if attached, and any loop device a dead predecessor left on its image. */
    private void detach(String volumeId) throws IOException {
        Optional<AttachedVolume> ours = agent.dataPath().find(volumeId);
        if (ours.isPresent()) {
            agent.dataPath().detach(volumeId);
        }
        agent.throttles().remove(volumeId);
        for (int n :
                LoopDevice.findByBackingFile(agent.config().fuseMountPoint().resolve(volumeId))) {
            if (ours.isEmpty() || ours.get().loopNumber() != n) {
                LOG.info("detaching /dev/loop{}, left on the image of volume {} by a dead predecessor", n, volumeId);
                LoopDevice.adopt(n).detach();
            }
        }
    }
}
