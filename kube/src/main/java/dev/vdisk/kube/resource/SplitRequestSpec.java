package dev.vdisk.kube.resource;

import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * A user's request to split the volume of a PVC in the same namespace off its backing snapshot.
 *
 * @param pvcName            the PVC whose volume to split (a clone or a volume restored from a snapshot)
 * @param mode               {@code share} (instant: the clone points at the snapshot's data) or {@code copy}
 *                           (copies the data; afterwards nothing is shared)
 * @param rateBytesPerSecond at most this many bytes per second; 0 or absent for no limit
 */
public record SplitRequestSpec(
        @Required String pvcName,
        @Required @Pattern("^(share|copy)$") String mode,
        @Min(0) Long rateBytesPerSecond) {}
