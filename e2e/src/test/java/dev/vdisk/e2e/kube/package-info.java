/**
 * The real API server suite: {@link dev.vdisk.e2e.kube.RealCluster} starts etcd, kube-apiserver and
 * kube-controller-manager on loopback ({@link dev.vdisk.e2e.kube.ControlPlane}, found through
 * {@code $VDISK_KUBE_ASSETS} by {@link dev.vdisk.e2e.kube.KubeAssets}), applies the chart's rendered objects, and runs
 * the driver as in production: two controller replicas with the real CSI sidecars
 * ({@link dev.vdisk.e2e.kube.ControllerPod}) and two node agents ({@link dev.vdisk.e2e.kube.DriverNode}), each with
 * its own service account's token. The test plays scheduler and kubelet. One cluster serves every class of the suite
 * ({@link dev.vdisk.e2e.kube.RealClusterExtension}); {@link dev.vdisk.e2e.kube.AuditIT} runs last and reads the
 * audit log for refused requests. {@link dev.vdisk.e2e.kube.RealNodeIT} has its own cluster,
 * {@link dev.vdisk.e2e.kube.RealNode}: the same control plane plus the scheduler, containerd and a real kubelet,
 * running the chart's own pods and the users' pods.
 */
package dev.vdisk.e2e.kube;
