package dev.vdisk.launcher;

import picocli.CommandLine.Option;

/** {@code --kubeconfig}, of the modes that talk to Kubernetes (controller, node). */
final class KubeconfigFlag {

    @Option(
            names = "--kubeconfig",
            paramLabel = "FILE",
            order = 30,
            description = "the Kubernetes API to use (default: in-cluster, then KUBECONFIG, then ~/.kube/config)")
    String kubeconfig;
}
