package dev.vdisk.kube.controller;

import dev.vdisk.kube.resource.Failure;
import dev.vdisk.kube.resource.NodeCapacity;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.SplitProgress;
import dev.vdisk.kube.resource.SplitSpec;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskGroupSnapshotStatus;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskNodeStatus;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshotStatus;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A node agent double for controller tests: watches the resources bound to its node (informers, as the real one),
 * keeps a pool in memory and writes status as documented in /work/notes/controller-protocol.md: observedGeneration,
 * phase Ready or Failed with failure {reason, message}, sizeBytes above 0 for what the pool has; removes the
 * finalizer once the pool no longer has a deleted object. Refusals follow the engine: OUT_OF_SPACE past the pool's
 * size, NOT_FOUND for a missing source, FAILED_PRECONDITION for a split of a volume that reads through nothing.
 */
final class SimulatedNodeAgent implements AutoCloseable {

    record Vol(long size, String backing, int depth, Map<String, String> attributes) {}

    record Snap(String source, long size, String created, String group, int depth) {}

    final String node;
    final long poolBytes;
    final Map<String, Vol> volumes = new ConcurrentHashMap<>();
    final Map<String, Snap> snapshots = new ConcurrentHashMap<>();
    final Map<String, Boolean> staged = new ConcurrentHashMap<>();
    /** Volume ID or CSI name -> the refusal its specs get (as a node whose pool fills or breaks). */
    final Map<String, Failure> refuse = new ConcurrentHashMap<>();
    /** Creates done in the pool (an idempotent retry must not add one). */
    final AtomicInteger creates = new AtomicInteger();

    private final KubernetesClient client;
    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

    SimulatedNodeAgent(KubernetesClient client, String node, long poolBytes) {
        this.client = client;
        this.node = node;
        this.poolBytes = poolBytes;
    }

    SimulatedNodeAgent start() {
        publishNode();
        informers.add(watch(VdiskVolume.class, this::reconcileVolume));
        informers.add(watch(VdiskSnapshot.class, this::reconcileSnapshot));
        informers.add(watch(VdiskGroupSnapshot.class, this::reconcileGroup));
        return this;
    }

    void publishNode() {
        VdiskNode n = new VdiskNode();
        n.setMetadata(new ObjectMetaBuilder().withName(node).build());
        if (client.resources(VdiskNode.class).withName(node).get() == null) {
            client.resources(VdiskNode.class).resource(n).create();
        }
        client.resources(VdiskNode.class).withName(node).editStatus(x -> {
            x.setStatus(new VdiskNodeStatus(
                    new NodeCapacity(poolBytes, poolBytes - used(), used()),
                    null,
                    Instant.now().toString(),
                    List.of()));
            return x;
        });
    }

    private <T extends HasMetadata> SharedIndexInformer<T> watch(Class<T> type, Consumer<String> reconcile) {
        return client.resources(type)
                .withLabel(ResourceKeys.NODE_LABEL, ResourceKeys.nodeLabelValue(node))
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(T obj) {
                        worker.execute(() -> reconcile.accept(obj.getMetadata().getName()));
                    }

                    @Override
                    public void onUpdate(T oldObj, T newObj) {
                        worker.execute(
                                () -> reconcile.accept(newObj.getMetadata().getName()));
                    }

                    @Override
                    public void onDelete(T obj, boolean unknown) {}
                });
    }

    long used() {
        return volumes.values().stream().mapToLong(Vol::size).sum();
    }

    /** Marks a volume staged on this node (as NodeStageVolume would), in the pool and in its status. */
    void stage(String volumeId, boolean on) {
        staged.put(volumeId, on);
        client.resources(VdiskVolume.class).withName(volumeId).editStatus(v -> {
            VdiskVolumeStatus s = v.getStatus();
            v.setStatus(new VdiskVolumeStatus(
                    s.phase(),
                    s.observedGeneration(),
                    s.sizeBytes(),
                    s.allocatedBytes(),
                    s.sharedBytes(),
                    on,
                    s.chainDepth(),
                    s.backingSnapshotId(),
                    s.attributes(),
                    s.abnormal(),
                    s.split(),
                    s.failure(),
                    s.conditions()));
            return v;
        });
    }

    private synchronized void reconcileVolume(String id) {
        VdiskVolume v = client.resources(VdiskVolume.class).withName(id).get();
        if (v == null) {
            return;
        }
        if (v.getMetadata().getDeletionTimestamp() != null) {
            if (staged.getOrDefault(id, false)) {
                return; // keeps the finalizer until unstaged
            }
            volumes.remove(id);
            dropFinalizer(VdiskVolume.class, id);
            publishNode();
            return;
        }
        long generation = v.getMetadata().getGeneration();
        if (v.getStatus() != null
                && v.getStatus().observedGeneration() != null
                && v.getStatus().observedGeneration() >= generation) {
            return;
        }
        var spec = v.getSpec();
        Failure failure = null;
        Vol have = volumes.get(id);
        Failure injected = refuse.getOrDefault(
                id,
                spec.attributes() == null ? null : refuse.get(spec.attributes().get("name")));
        if (injected != null) {
            failure = injected;
        } else if (have == null) {
            Snap source = spec.sourceSnapshotId() == null ? null : snapshots.get(spec.sourceSnapshotId());
            if (spec.sourceSnapshotId() != null && source == null) {
                failure = new Failure("NOT_FOUND", "snapshot " + spec.sourceSnapshotId() + " does not exist");
            } else if (used() + spec.sizeBytes() > poolBytes) {
                failure = new Failure(
                        "OUT_OF_SPACE",
                        "pool of node " + node + " has " + (poolBytes - used()) + " bytes left, " + spec.sizeBytes()
                                + " asked");
            } else {
                have = new Vol(
                        spec.sizeBytes(),
                        spec.sourceSnapshotId(),
                        source == null ? 0 : source.depth() + 1,
                        new TreeMap<>(spec.attributes()));
                volumes.put(id, have);
                creates.incrementAndGet();
            }
        } else {
            long size = have.size();
            if (spec.sizeBytes() > size) {
                if (used() - size + spec.sizeBytes() > poolBytes) {
                    failure = new Failure("OUT_OF_SPACE", "cannot grow " + id + " to " + spec.sizeBytes());
                } else {
                    size = spec.sizeBytes();
                }
            }
            have = new Vol(size, have.backing(), have.depth(), new TreeMap<>(spec.attributes()));
            volumes.put(id, have);
        }
        SplitProgress split = v.getStatus() == null ? null : v.getStatus().split();
        if (have != null
                && failure == null
                && spec.split() != null
                && (split == null || !split.phase().equals(spec.split().cancel() ? "CANCELLED" : "DONE"))) {
            SplitSpec want = spec.split();
            if (want.cancel()) {
                split = split == null ? null : progress(want.mode(), "CANCELLED", split.percent());
            } else if (have.backing() == null
                    && (split == null || !split.phase().equals("DONE"))) {
                failure = new Failure("FAILED_PRECONDITION", "volume " + id + " reads through no snapshot");
            } else {
                split = progress(want.mode(), "DONE", 100);
                have = new Vol(have.size(), null, 0, have.attributes());
                volumes.put(id, have);
            }
        }
        Vol now = have;
        Failure f = failure;
        SplitProgress sp = split;
        client.resources(VdiskVolume.class).withName(id).editStatus(x -> {
            x.setStatus(new VdiskVolumeStatus(
                    f == null ? ResourcePhase.Ready : ResourcePhase.Failed,
                    generation,
                    now == null ? 0 : now.size(),
                    0,
                    0,
                    staged.getOrDefault(id, false),
                    now == null ? 0 : now.depth(),
                    now == null ? null : now.backing(),
                    now == null ? null : now.attributes(),
                    null,
                    sp,
                    f,
                    List.of()));
            return x;
        });
        publishNode();
    }

    private static SplitProgress progress(String mode, String phase, int percent) {
        return new SplitProgress(
                mode,
                phase,
                percent,
                percent,
                100,
                0,
                0,
                0,
                "",
                Instant.now().toString(),
                phase.equals("DONE") ? Instant.now().toString() : "");
    }

    private synchronized void reconcileSnapshot(String id) {
        VdiskSnapshot s = client.resources(VdiskSnapshot.class).withName(id).get();
        if (s == null) {
            return;
        }
        if (s.getMetadata().getDeletionTimestamp() != null) {
            snapshots.remove(id);
            dropFinalizer(VdiskSnapshot.class, id);
            return;
        }
        long generation = s.getMetadata().getGeneration();
        if (s.getStatus() != null
                && s.getStatus().observedGeneration() != null
                && s.getStatus().observedGeneration() >= generation) {
            return;
        }
        Snap have = snapshots.get(id);
        Failure failure = null;
        if (have == null) {
            Vol source = volumes.get(s.getSpec().sourceVolumeId());
            if (source == null) {
                failure = new Failure("NOT_FOUND", "volume " + s.getSpec().sourceVolumeId() + " does not exist");
            } else {
                have = new Snap(
                        s.getSpec().sourceVolumeId(),
                        source.size(),
                        Instant.now().toString(),
                        "",
                        source.depth());
                snapshots.put(id, have);
            }
        }
        Snap now = have;
        Failure f = failure;
        client.resources(VdiskSnapshot.class).withName(id).editStatus(x -> {
            x.setStatus(new VdiskSnapshotStatus(
                    f == null ? ResourcePhase.Ready : ResourcePhase.Failed,
                    generation,
                    now == null ? 0 : now.size(),
                    now == null ? null : now.created(),
                    now != null,
                    now == null ? null : now.group(),
                    List.of(),
                    f,
                    List.of()));
            return x;
        });
    }

    private synchronized void reconcileGroup(String id) {
        VdiskGroupSnapshot g =
                client.resources(VdiskGroupSnapshot.class).withName(id).get();
        if (g == null) {
            return;
        }
        if (g.getMetadata().getDeletionTimestamp() != null) {
            dropFinalizer(VdiskGroupSnapshot.class, id);
            return;
        }
        long generation = g.getMetadata().getGeneration();
        if (g.getStatus() != null
                && g.getStatus().observedGeneration() != null
                && g.getStatus().observedGeneration() >= generation) {
            return;
        }
        Failure failure = null;
        String created = Instant.now().toString();
        for (String volume : g.getSpec().members().keySet()) {
            if (!volumes.containsKey(volume)) {
                failure = new Failure("NOT_FOUND", "volume " + volume + " does not exist");
            }
        }
        if (failure == null) {
            g.getSpec()
                    .members()
                    .forEach((volume, snap) -> snapshots.putIfAbsent(
                            snap,
                            new Snap(
                                    volume,
                                    volumes.get(volume).size(),
                                    created,
                                    id,
                                    volumes.get(volume).depth())));
        }
        Failure f = failure;
        client.resources(VdiskGroupSnapshot.class).withName(id).editStatus(x -> {
            x.setStatus(new VdiskGroupSnapshotStatus(
                    f == null ? ResourcePhase.Ready : ResourcePhase.Failed, generation, created, f, List.of()));
            return x;
        });
    }

    private <T extends HasMetadata> void dropFinalizer(Class<T> type, String id) {
        client.resources(type).withName(id).edit(x -> {
            x.getMetadata().getFinalizers().remove(ResourceKeys.NODE_AGENT_FINALIZER);
            return x;
        });
    }

    @Override
    public void close() throws InterruptedException {
        informers.forEach(SharedIndexInformer::close);
        worker.shutdownNow();
        worker.awaitTermination(5, TimeUnit.SECONDS);
    }
}
