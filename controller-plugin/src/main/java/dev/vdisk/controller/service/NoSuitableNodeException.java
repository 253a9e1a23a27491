package dev.vdisk.controller.service;

/** No known node satisfies the accessibility requirements or has room for the volume (spec, CreateVolume: "Unable to provision in accessible_topology", RESOURCE_EXHAUSTED). */
public final class NoSuitableNodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NoSuitableNodeException(String message) {
        super(message);
    }
}
