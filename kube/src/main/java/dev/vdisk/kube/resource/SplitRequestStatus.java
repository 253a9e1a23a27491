package dev.vdisk.kube.resource;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * A split request's progress, written by the controller from the volume's split status.
 *
 * @param phase              Pending, Queued, Running, Succeeded, Failed or Cancelled
 * @param observedGeneration the spec generation this status answers
 * @param volumeId           the CSI volume ID of the PVC
 * @param percent            0 to 100
 * @param bytesRelocated     bytes shared or copied so far
 * @param bytesPerSecond     current throughput
 * @param etaSeconds         estimated seconds to go, -1 if unknown
 * @param startTime          when the split started (RFC 3339)
 * @param completionTime     when it finished (RFC 3339)
 * @param conditions         Accepted, Complete, Failed with reason and message (there is no free-text error field)
 */
public record SplitRequestStatus(
        SplitRequestPhase phase,
        Long observedGeneration,
        String volumeId,
        int percent,
        long bytesRelocated,
        long bytesPerSecond,
        long etaSeconds,
        String startTime,
        String completionTime,
        List<Condition> conditions) {}
