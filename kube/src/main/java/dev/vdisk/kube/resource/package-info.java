/**
 * The custom resources through which the controller hands work to node agents (group {@code vdisk.csi.dev},
 * version {@code v1alpha1}): {@link dev.vdisk.kube.resource.VdiskVolume}, {@link dev.vdisk.kube.resource.VdiskSnapshot}
 * and {@link dev.vdisk.kube.resource.VdiskGroupSnapshot} are cluster-scoped, named after their CSI id and bound to
 * the node that owns the pool (label {@link dev.vdisk.kube.resource.ResourceKeys#NODE_LABEL});
 * {@link dev.vdisk.kube.resource.VdiskNode} is what a node agent publishes about itself;
 * {@link dev.vdisk.kube.resource.SplitRequest} is the namespaced, user-facing request to split a PVC's clone.
 *
 * <p>Each kind comes as {@code <Kind>}, {@code <Kind>Spec} (desired, written by the controller or the user) and
 * {@code <Kind>Status} (observed, written by the node agent or the controller, always through the status
 * subresource). The CRDs are generated from these classes at build time and copied into the chart.
 */
package dev.vdisk.kube.resource;
