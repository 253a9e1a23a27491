package dev.vdisk.kube.split;

import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitSpec;

/** The {@code requestedBy} a split request writes into {@code VdiskVolume.spec.split}: how it knows its own split. */
record SplitOwner(String namespace, String name) {

    static SplitOwner of(SplitRequest request) {
        return new SplitOwner(
                request.getMetadata().getNamespace(), request.getMetadata().getName());
    }

    String requestedBy() {
        return "SplitRequest " + namespace + "/" + name;
    }

    boolean owns(SplitSpec split) {
        return split != null && requestedBy().equals(split.requestedBy());
    }
}
