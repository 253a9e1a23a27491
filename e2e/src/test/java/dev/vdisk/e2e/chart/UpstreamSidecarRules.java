package dev.vdisk.e2e.chart;

import java.util.Map;
import java.util.Set;

/**
 * The rights each upstream CSI sidecar needs in this chart's configuration, written from the sidecars' own RBAC files
 * (deploy/kubernetes/rbac*.yaml of external-provisioner v6, external-snapshotter v8 csi-snapshotter, external-resizer
 * v2, external-snapshot-metadata v1), narrowed where our configuration makes a rule unused: no secrets (the driver
 * takes none), no volumeattachments for the provisioner (it watches them only for drivers with ControllerPublish),
 * no pods for the resizer (--handle-volume-inuse-error=false), only get/list/watch of the
 * SnapshotMetadataService and create of the reviews for external-snapshot-metadata. Keyed by the chart's
 * {@code vdisk.csi.dev/rbac-for} label; namespaced (Role) and cluster (ClusterRole) rights together.
 */
final class UpstreamSidecarRules {

    static final Map<String, Set<Permission>> BY_CONTAINER = Map.of(
            "csi-provisioner",
                    Permission.parse(
                            "core persistentvolumes get list watch create patch delete",
                            "core persistentvolumeclaims get list watch update",
                            "storage.k8s.io storageclasses get list watch",
                            "storage.k8s.io csinodes get list watch",
                            "storage.k8s.io volumeattributesclasses get",
                            "core nodes get list watch",
                            "core events list watch create update patch",
                            "snapshot.storage.k8s.io volumesnapshots get list",
                            "snapshot.storage.k8s.io volumesnapshotcontents get list",
                            // leader election, and CSIStorageCapacity owned by the Deployment (pod -> ReplicaSet ->
                            // Deployment)
                            "coordination.k8s.io leases get watch list delete update create",
                            "storage.k8s.io csistoragecapacities get list watch create update patch delete",
                            "core pods get",
                            "apps replicasets get"),
            "csi-snapshotter",
                    Permission.parse(
                            "core events list watch create update patch",
                            "snapshot.storage.k8s.io volumesnapshotclasses get list watch",
                            "snapshot.storage.k8s.io volumesnapshotcontents create get list watch update patch",
                            "snapshot.storage.k8s.io volumesnapshotcontents/status update patch",
                            "groupsnapshot.storage.k8s.io volumegroupsnapshotclasses get list watch",
                            "groupsnapshot.storage.k8s.io volumegroupsnapshotcontents get list watch update patch",
                            "groupsnapshot.storage.k8s.io volumegroupsnapshotcontents/status update patch",
                            "coordination.k8s.io leases get watch list delete update create"),
            "csi-resizer",
                    Permission.parse(
                            "core persistentvolumes get list watch patch",
                            "core persistentvolumeclaims get list watch",
                            "core persistentvolumeclaims/status patch",
                            "core events list watch create update patch",
                            "storage.k8s.io volumeattributesclasses get list watch",
                            "coordination.k8s.io leases get watch list delete update create"),
            "csi-snapshot-metadata",
                    Permission.parse(
                            "cbt.storage.k8s.io snapshotmetadataservices get list watch",
                            "authentication.k8s.io tokenreviews create",
                            "authorization.k8s.io subjectaccessreviews create",
                            "snapshot.storage.k8s.io volumesnapshots get list",
                            "snapshot.storage.k8s.io volumesnapshotcontents get list"));

    private UpstreamSidecarRules() {}
}
