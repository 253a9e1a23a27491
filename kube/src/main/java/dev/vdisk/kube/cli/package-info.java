/**
 * The kubectl plugin {@code kubectl-vdisk} (run by {@code bin/kubectl-vdisk}): entry point
 * {@link dev.vdisk.kube.cli.KubectlVdisk}. {@code split} creates a SplitRequest and can wait for it with a progress
 * bar; {@code status} and {@code tree} read a PVC's VdiskVolume and the clone lineage around it. It talks to the API
 * server with the user's own kubeconfig, and asks for exactly what
 * {@code dev.vdisk.kube.access.KubectlPluginAccess} lists.
 */
package dev.vdisk.kube.cli;
