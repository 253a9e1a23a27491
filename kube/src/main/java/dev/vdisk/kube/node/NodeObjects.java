package dev.vdisk.kube.node;

import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import java.util.List;
import java.util.Optional;

/** The resources bound to this node, as the informers last saw them (read-only, possibly a little stale). */
interface NodeObjects {

    Optional<VdiskVolume> volume(String name);

    Optional<VdiskSnapshot> snapshot(String name);

    List<VdiskGroupSnapshot> groups();
}
