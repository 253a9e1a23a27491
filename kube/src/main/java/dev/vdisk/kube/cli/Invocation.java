package dev.vdisk.kube.cli;

/**
 * A command line that picocli parsed and {@link KubectlVdisk} checked: {@code split PVC [--mode share|copy]
 * [--rate 200MiB/s] [-n NS] [--wait]}, {@code status PVC [-n NS]} or {@code tree PVC [-n NS]}.
 *
 * @param command   split, status or tree
 * @param pvc       the PVC's name
 * @param namespace -n/--namespace, null for the kubeconfig context's namespace
 * @param mode      share (default) or copy
 * @param rate      bytes per second, null for no limit
 * @param await     --wait: follow the split until it ends
 */
record Invocation(String command, String pvc, String namespace, String mode, Long rate, boolean await) {}
