package dev.vdisk.kube.split;

import dev.vdisk.kube.reconcile.Backoff;
import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.reconcile.EventSource;
import dev.vdisk.kube.reconcile.KeyedWorkQueue;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.VdiskVolume;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs split requests on the elected controller: watches SplitRequests (all namespaces), PVCs (for the
 * {@code vdisk.csi.dev/split} annotation) and VdiskVolumes (for the node agents' progress), and hands every change to
 * one worker ({@link SplitReconciler}, {@link SplitAnnotations}). Start it only while holding the leader lease;
 * {@link #close()} when the lease is lost.
 */
public final class SplitRequestController implements AutoCloseable {

    /** Informer resync: how often every request is looked at even without a change. */
    public static final Duration DEFAULT_RESYNC = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(SplitRequestController.class);
    private static final String BY_PVC = "pvc";
    private static final String BY_VOLUME = "volume";
    private static final String REQUEST = "request/";
    private static final String PVC = "pvc/";

    /** The Events' source component. */
    static final String COMPONENT = "vdisk-csi-controller";
    /** A request whose reconcile failed (API server unreachable, conflict) is looked at again after this. */
    static final Duration ERROR_RETRY = Duration.ofSeconds(2);

    private final KeyedWorkQueue queue;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<SplitRequest> requestInformer;
    private SharedIndexInformer<PersistentVolumeClaim> pvcInformer;

    private SplitRequestController(KubernetesClient client, String driverName, Clock clock) {
        EventRecorder events = new EventRecorder(client, EventSource.cluster(COMPONENT), clock);
        SplitReconciler reconciler = new SplitReconciler(client, driverName, events, clock);
        SplitAnnotations annotations = new SplitAnnotations(client, events);
        // one key at a time: two requests for one PVC, looked at one after the other, cannot both be accepted
        this.queue = new KeyedWorkQueue("split-requests", 1, Backoff.fixed(ERROR_RETRY), key -> {
            if (key.startsWith(REQUEST)) {
                String[] nsName = key.substring(REQUEST.length()).split("/", 2);
                return reconciler.reconcile(nsName[0], nsName[1]);
            }
            PersistentVolumeClaim pvc = pvcInformer.getStore().getByKey(key.substring(PVC.length()));
            if (pvc != null) {
                annotations.reconcile(pvc, ownedRequest(pvc));
            }
            return null;
        });
    }

    /**
     * Starts watching and returns once the informers have synced.
     *
     * @param driverName the CSI driver name (--driver-name): only PVs of this driver are split
     */
    public static SplitRequestController start(KubernetesClient client, String driverName) {
        return start(client, driverName, DEFAULT_RESYNC, Clock.systemUTC());
    }

    static SplitRequestController start(KubernetesClient client, String driverName, Duration resync, Clock clock) {
        SplitRequestController c = new SplitRequestController(client, driverName, clock);
        try {
            c.startInformers(client, resync.toMillis());
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        LOG.info("split request controller started for driver {}", driverName);
        return c;
    }

    private void startInformers(KubernetesClient client, long resyncMillis) {
        requestInformer = client.resources(SplitRequest.class).inAnyNamespace().runnableInformer(resyncMillis);
        requestInformer.addIndexers(Map.of(
                BY_PVC,
                        r -> List.of(r.getMetadata().getNamespace() + "/"
                                + r.getSpec().pvcName()),
                BY_VOLUME,
                        r -> r.getStatus() == null || r.getStatus().volumeId() == null
                                ? List.of()
                                : List.of(r.getStatus().volumeId())));
        requestInformer.addEventHandler(handler(
                r -> queue.add(REQUEST + Cache.metaNamespaceKeyFunc(r)),
                (before, after) -> after.getMetadata().getDeletionTimestamp() != null
                        || !SplitStatusMirror.terminal(after.getStatus()),
                false));

        pvcInformer = client.persistentVolumeClaims().inAnyNamespace().runnableInformer(resyncMillis);
        pvcInformer.addEventHandler(handler(this::pvcChanged, (before, after) -> true, true));

        SharedIndexInformer<VdiskVolume> volumeInformer =
                client.resources(VdiskVolume.class).runnableInformer(resyncMillis);
        volumeInformer.addEventHandler(handler(
                v -> requestInformer
                        .getIndexer()
                        .byIndex(BY_VOLUME, v.getMetadata().getName())
                        .forEach(r -> queue.add(REQUEST + Cache.metaNamespaceKeyFunc(r))),
                (before, after) -> true,
                true));

        informers.addAll(List.of(requestInformer, pvcInformer, volumeInformer));
        for (SharedIndexInformer<?> informer : informers) {
            try {
                informer.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the split informers", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("split informers did not sync: " + e, e);
            }
        }
        queue.open();
    }

    /** A PVC changed: its annotation may ask for (or no longer ask for) a split; requests waiting for it look again. */
    private void pvcChanged(PersistentVolumeClaim pvc) {
        String key = Cache.metaNamespaceKeyFunc(pvc);
        if (SplitAnnotations.concerns(pvc, ownedRequest(pvc) != null)) {
            queue.add(PVC + key);
        }
        requestInformer.getIndexer().byIndex(BY_PVC, key).stream()
                .filter(r -> r.getStatus() == null || r.getStatus().volumeId() == null)
                .forEach(r -> queue.add(REQUEST + Cache.metaNamespaceKeyFunc(r)));
    }

    private SplitRequest ownedRequest(PersistentVolumeClaim pvc) {
        return requestInformer.getIndexer().byIndex(BY_PVC, Cache.metaNamespaceKeyFunc(pvc)).stream()
                .filter(r -> SplitAnnotations.ownedBy(r, pvc))
                .findFirst()
                .orElse(null);
    }

    private static <T extends HasMetadata> ResourceEventHandler<T> handler(
            Consumer<T> changed, UpdateFilter<T> onUpdate, boolean onDelete) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                changed.accept(obj);
            }

            @Override
            public void onUpdate(T before, T after) {
                if (onUpdate.matters(before, after)) {
                    changed.accept(after);
                }
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                // a request is gone only after its finalizer: nothing left to do; a PVC or volume going matters
                if (onDelete) {
                    changed.accept(obj);
                }
            }
        };
    }

    @FunctionalInterface
    private interface UpdateFilter<T> {
        boolean matters(T before, T after);
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
        queue.close();
        LOG.info("split request controller stopped");
    }
}
