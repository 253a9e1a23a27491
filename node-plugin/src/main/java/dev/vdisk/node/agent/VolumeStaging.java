package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.engine.Reason;
import dev.vdisk.node.datapath.DataPath.AttachedVolume;
import dev.vdisk.node.host.Filesystems;
import dev.vdisk.node.host.Mounter;
import dev.vdisk.node.sys.ErrnoException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host work of staging and publishing one volume, each step undone in reverse when a later one fails, so a
 * failed call leaves nothing attached or mounted. Every method needs the caller to hold the volume's
 * {@link VolumeLocks} lock; the Node service's checks (required fields, idempotency) come before.
 */
public final class VolumeStaging {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeStaging.class);
    private static final int EBUSY = 16;

    private final NodeAgent agent;

    VolumeStaging(NodeAgent agent) {
        this.agent = agent;
    }

    /**
     * Attaches the volume; for a mount volume, formats it if (and only if) blkid finds no signature at all, and
     * mounts it at the staging path. Returns the block device.
     */
    public Path stage(StagedVolume v) throws IOException {
        AttachedVolume attached = agent.attachWithoutLocking(v.volumeId());
        try {
            if (!v.block()) {
                Files.createDirectories(v.stagingPath());
                formatIfBlank(v, attached.device());
                List<String> options = new ArrayList<>(v.mountFlags());
                if (v.readOnly()) {
                    options.add("ro");
                }
                Mounter.mount(attached.device(), v.stagingPath(), v.fsType(), options);
            }
            LOG.info("staged volume {} on {} ({}) at {}", v.volumeId(), attached.device(),
                    v.block() ? "block" : v.fsType(), v.stagingPath());
            return attached.device();
        } catch (IOException | RuntimeException e) {
            agent.detachWithoutLocking(v.volumeId());
            throw e;
        }
    }

    private static void formatIfBlank(StagedVolume v, Path device) throws IOException {
        Map<String, String> found = Filesystems.probe(device);
        if (found.isEmpty()) {
            if (v.readOnly()) {
                throw new AgentException(Reason.FAILED_PRECONDITION, "volume " + v.volumeId() + " is blank and the"
                        + " access mode " + v.accessMode() + " is read-only: there is no filesystem to mount");
            }
            Filesystems.format(device, v.fsType());
            LOG.info("formatted volume {} ({}) as {}", v.volumeId(), device, v.fsType());
        } else if (!v.fsType().equals(found.get("TYPE"))) {
            // never format over anything: a partition table, another filesystem, LVM, ... may be someone's data
            throw new AgentException(Reason.FAILED_PRECONDITION, "volume " + v.volumeId() + " holds " + found
                    + " and the request asks for " + v.fsType() + "; refusing to format over an existing signature");
        }
    }

    /**
     * Unmounts the staging path (lazily when {@code deadPath}: the volume's data path is gone and its mount can only
     * fail) and detaches the volume, plus any loop device a dead predecessor left on its image.
     */
    public void unstage(StagedVolume v, boolean deadPath) throws IOException {
        if (!v.block()) {
            if (deadPath) {
                while (Mounter.isMountPoint(v.stagingPath()) && Mounter.unmountLazily(v.stagingPath())) {
                    LOG.info("detached the dead mount of volume {} at {}", v.volumeId(), v.stagingPath());
                }
            } else {
                Mounter.unmount(v.stagingPath());
            }
        }
        agent.detachWithoutLocking(v.volumeId());
        LOG.info("unstaged volume {} from {}", v.volumeId(), v.stagingPath());
    }

    /**
     * Bind-mounts the staging directory (mount volume) or the device node (block volume, onto a file this method
     * creates) at {@code target}, read-only if asked or if the access mode is read-only.
     */
    public void publish(StagedVolume v, Path target, boolean readOnly) throws IOException {
        boolean ro = readOnly || v.readOnly();
        boolean created = false;
        if (v.block()) {
            Path device = agent.attached(v.volumeId()).orElseThrow(() -> new AgentException(Reason.FAILED_PRECONDITION,
                    "volume " + v.volumeId() + " is staged but not attached")).device();
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(target);
                created = true;
            } else if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException("target_path " + target + " exists and is not a regular file;"
                        + " a block volume is published onto a file");
            }
            try {
                Mounter.bind(device, target, ro);
            } catch (IOException | RuntimeException e) {
                if (created) {
                    Files.deleteIfExists(target);
                }
                throw e;
            }
        } else {
            Files.createDirectories(target);
            Mounter.bind(v.stagingPath(), target, ro);
        }
        LOG.info("published volume {} at {} ({})", v.volumeId(), target, ro ? "read-only" : "read-write");
    }

    /** Unmounts {@code target} (every mount stacked there) and removes the file or empty directory. */
    public void unpublish(StagedVolume v, Path target) throws IOException {
        for (int i = 0; i < 8 && Mounter.isMountPoint(target); i++) {
            try {
                Mounter.unmount(target);
            } catch (ErrnoException e) {
                if (e.errno() != EBUSY) {
                    throw e;
                }
                // a bind mount still in use: detaching it from the tree is safe, the staging mount stays
                LOG.warn("target {} of volume {} is busy; detaching it lazily", target, v.volumeId());
                Mounter.unmountLazily(target);
            }
        }
        if (Mounter.isMountPoint(target)) {
            throw new IOException("target " + target + " of volume " + v.volumeId() + " is still mounted");
        }
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(target);
        } else if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.delete(target);
            } catch (IOException e) {
                LOG.warn("left the directory {} of volume {} in place: {}", target, v.volumeId(), e.toString());
            }
        }
        LOG.info("unpublished volume {} from {}", v.volumeId(), target);
    }
}
