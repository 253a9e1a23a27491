package dev.vdisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeGroupSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.GetMetadataDeltaRequest;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.ProbeRequest;
import org.junit.jupiter.api.Test;

class CallLoggingInterceptorTest {

    @Test
    void picksTopLevelIdentifiers() {
        assertEquals(
                "source_volume_id=pvc-1",
                CallLoggingInterceptor.identifiers(CreateSnapshotRequest.newBuilder()
                        .setSourceVolumeId("pvc-1")
                        .setName("snap")
                        .putSecrets("k", "v")
                        .build()));
        assertEquals(
                "base_snapshot_id=s1 target_snapshot_id=s2",
                CallLoggingInterceptor.identifiers(GetMetadataDeltaRequest.newBuilder()
                        .setBaseSnapshotId("s1")
                        .setTargetSnapshotId("s2")
                        .setMaxResults(9)
                        .build()));
        assertEquals(
                "source_volume_ids=a,b",
                CallLoggingInterceptor.identifiers(CreateVolumeGroupSnapshotRequest.newBuilder()
                        .addSourceVolumeIds("a")
                        .addSourceVolumeIds("b")
                        .build()));
    }

    @Test
    void neverTouchesSecretsPathsOrContexts() {
        String ids = CallLoggingInterceptor.identifiers(NodePublishVolumeRequest.newBuilder()
                .setVolumeId("pvc-3")
                .setTargetPath("/var/lib/kubelet/x")
                .putSecrets("volume_id", "leak")
                .putVolumeContext("snapshot_id", "leak")
                .build());
        assertEquals("volume_id=pvc-3", ids);
    }

    @Test
    void emptyWhenNothingToSay() {
        assertEquals("", CallLoggingInterceptor.identifiers(ProbeRequest.getDefaultInstance()));
        assertEquals(
                "",
                CallLoggingInterceptor.identifiers(
                        CreateVolumeRequest.newBuilder().setName("pvc-1").build()));
    }
}
