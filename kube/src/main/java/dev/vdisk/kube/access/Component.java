package dev.vdisk.kube.access;

/** The parts of vdisk-csi that talk to the Kubernetes API, each with its own service account. */
public enum Component {
    /** {@code vdisk-csi controller}: resources for CSI calls, split requests, PVC events, leader election. */
    CONTROLLER,
    /** {@code vdisk-csi node}: reconciles the resources bound to its node, publishes its VdiskNode. */
    NODE,
    /** {@code kubectl vdisk}: runs with the user's own credentials; listed so the docs can say what users need. */
    KUBECTL_PLUGIN
}
