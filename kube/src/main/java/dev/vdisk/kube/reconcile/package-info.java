/**
 * The reconcile toolkit every controller in {@code kube} uses (the node agent's and the split request controller):
 * {@link dev.vdisk.kube.reconcile.KeyedWorkQueue} (one key handled at a time, re-adds coalesced, retries with
 * {@link dev.vdisk.kube.reconcile.Backoff}, a close that lets running work finish),
 * {@link dev.vdisk.kube.reconcile.EventRecorder} (core/v1 Events named as the kubelet names them) and
 * {@link dev.vdisk.kube.reconcile.Conditions} (status conditions the Kubernetes way). It knows nothing of our
 * resources; why it is ours and not the Java Operator SDK: docs/decisions/0013-reconcile-toolkit.md.
 */
package dev.vdisk.kube.reconcile;
