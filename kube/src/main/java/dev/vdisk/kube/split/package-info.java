/**
 * Clone splits asked for from kubectl. Entry point: {@link dev.vdisk.kube.split.SplitRequestController#start}, run on
 * the elected controller only. It turns a {@link dev.vdisk.kube.resource.SplitRequest} (or a PVC annotated
 * {@code vdisk.csi.dev/split=share|copy}, via an owned request, {@link dev.vdisk.kube.split.SplitAnnotations}) into
 * {@code VdiskVolume.spec.split} for the node agent, and mirrors the agent's {@code status.split} back into the
 * request's status ({@link dev.vdisk.kube.split.SplitStatusMirror}, a pure function) with Events on the PVC
 * ({@link dev.vdisk.kube.split.SplitMilestones}).
 *
 * <p>One worker thread reconciles one request at a time ({@link dev.vdisk.kube.split.SplitReconciler}), so two requests
 * for the same PVC cannot both be accepted; informers only say which request to look at, the reconciler reads the
 * request and the volume fresh from the API server.
 */
package dev.vdisk.kube.split;
