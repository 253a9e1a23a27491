package dev.vdisk.kube.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.csi.server.StatusMapper;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshotSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/**
 * What a user reads in a PVC's events when the API server refuses a write of the controller: real fabric8 exceptions
 * from the mock server (answers as the API server 1.24 gives them), through the StatusMapper the launcher builds.
 */
@EnableKubernetesMockClient
class ApiServerErrorsTest {

    private static final String SNAPSHOTS = "/apis/vdisk.csi.dev/v1alpha1/vdisksnapshots";
    private static final String RFC1123 = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
            + " characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com',"
            + " regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    KubernetesMockServer server;
    KubernetesClient client;

    private final StatusMapper mapper = new StatusMapper().register(new ApiServerErrors());

    @Test
    void aRefusedNameIsOneLineSayingWhatWasCreatedAndWhy() {
        server.expect()
                .post()
                .withPath(SNAPSHOTS)
                .andReturn(
                        422,
                        new StatusBuilder()
                                .withStatus("Failure")
                                .withReason("Invalid")
                                .withCode(422)
                                .withMessage(
                                        "VdiskSnapshot.vdisk.csi.dev \"clonesrc_pvc-a\" is invalid: metadata.name: Invalid value: "
                                                + "\"clonesrc_pvc-a\": " + RFC1123)
                                .withNewDetails()
                                .withName("clonesrc_pvc-a")
                                .withGroup("vdisk.csi.dev")
                                .withKind("VdiskSnapshot")
                                .addNewCause()
                                .withReason("FieldValueInvalid")
                                .withField("metadata.name")
                                .withMessage("Invalid value: \"clonesrc_pvc-a\": " + RFC1123)
                                .endCause()
                                .endDetails()
                                .build())
                .once();

        Status s =
                mapper.toStatus(assertThrows(KubernetesClientException.class, () -> createSnapshot("clonesrc_pvc-a")));

        assertEquals(
                Status.Code.INTERNAL, s.getCode(), "the driver built the object, the CO's request is not at fault");
        assertEquals(
                "creating VdiskSnapshot clonesrc_pvc-a: the API server refused it (422 Invalid): metadata.name:"
                        + " Invalid value: \"clonesrc_pvc-a\": " + RFC1123,
                s.getDescription());
        assertOneShortLine(s.getDescription());
    }

    @Test
    void aConflictIsAbortedSoTheSidecarRetriesAtOnce() {
        server.expect()
                .post()
                .withPath(SNAPSHOTS)
                .andReturn(
                        409,
                        new StatusBuilder()
                                .withStatus("Failure")
                                .withReason("AlreadyExists")
                                .withCode(409)
                                .withMessage("vdisksnapshots.vdisk.csi.dev \"s1\" already exists")
                                .withNewDetails()
                                .withName("s1")
                                .withGroup("vdisk.csi.dev")
                                .withKind("vdisksnapshots")
                                .endDetails()
                                .build())
                .once();
        Status s = mapper.toStatus(assertThrows(KubernetesClientException.class, () -> createSnapshot("s1")));
        assertEquals(Status.Code.ABORTED, s.getCode());
        assertEquals(
                "creating vdisksnapshots s1: the API server refused it (409 AlreadyExists): vdisksnapshots"
                        + ".vdisk.csi.dev \"s1\" already exists",
                s.getDescription());
    }

    @Test
    void aMissingPermissionSaysToCheckRbac() {
        server.expect()
                .get()
                .withPath(SNAPSHOTS + "/s1")
                .andReturn(
                        403,
                        new StatusBuilder()
                                .withStatus("Failure")
                                .withReason("Forbidden")
                                .withCode(403)
                                .withMessage("vdisksnapshots.vdisk.csi.dev \"s1\" is forbidden:"
                                        + " User \"system:serviceaccount:vdisk:vdisk-csi-controller\" cannot get resource"
                                        + " \"vdisksnapshots\" in API group \"vdisk.csi.dev\" at the cluster scope")
                                .withNewDetails()
                                .withName("s1")
                                .withGroup("vdisk.csi.dev")
                                .withKind("vdisksnapshots")
                                .endDetails()
                                .build())
                .once();
        Status s = mapper.toStatus(assertThrows(
                KubernetesClientException.class,
                () -> client.resources(VdiskSnapshot.class).withName("s1").get()));
        assertEquals(Status.Code.FAILED_PRECONDITION, s.getCode());
        assertTrue(
                s.getDescription().startsWith("reading vdisksnapshots s1: the API server refused it (403 Forbidden): "),
                s.getDescription());
        assertTrue(s.getDescription().endsWith("check the chart's RBAC"), s.getDescription());
        assertOneShortLine(s.getDescription());
    }

    @Test
    void aFailingOrUnreachableApiServerIsUnavailable() {
        server.expect()
                .delete()
                .withPath(SNAPSHOTS + "/s1")
                .andReturn(
                        503,
                        new StatusBuilder()
                                .withStatus("Failure")
                                .withReason("ServiceUnavailable")
                                .withCode(503)
                                .withMessage("etcdserver: request timed out")
                                .build())
                .always();
        Status s;
        try (KubernetesClient once = server.createClient(b -> b.withConfig(new ConfigBuilder(client.getConfiguration())
                .withRequestRetryBackoffLimit(0)
                .build()))) {
            s = mapper.toStatus(assertThrows(
                    KubernetesClientException.class,
                    () -> once.resources(VdiskSnapshot.class).withName("s1").delete()));
        }
        assertEquals(Status.Code.UNAVAILABLE, s.getCode());
        assertTrue(
                s.getDescription().startsWith("deleting vdisksnapshots s1: the API server failed (503"),
                s.getDescription());

        try (KubernetesClient away = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder()
                        .withMasterUrl("https://127.0.0.1:1")
                        .withRequestRetryBackoffLimit(0)
                        .withRequestTimeout(2000)
                        .withConnectionTimeout(2000)
                        .build())
                .build()) {
            Status gone = mapper.toStatus(assertThrows(
                    KubernetesClientException.class,
                    () -> away.resources(VdiskSnapshot.class).withName("s1").get()));
            assertEquals(Status.Code.UNAVAILABLE, gone.getCode());
            assertTrue(
                    gone.getDescription().contains("vdisksnapshots s1: the API server could not be reached: "),
                    gone.getDescription());
            assertOneShortLine(gone.getDescription());
        }
    }

    @Test
    void everyHttpAnswerHasItsCode() {
        assertEquals(Status.Code.INTERNAL, ApiServerErrors.codeOf(400));
        assertEquals(Status.Code.UNAVAILABLE, ApiServerErrors.codeOf(401));
        assertEquals(Status.Code.ABORTED, ApiServerErrors.codeOf(404));
        assertEquals(Status.Code.ABORTED, ApiServerErrors.codeOf(410));
        assertEquals(Status.Code.UNAVAILABLE, ApiServerErrors.codeOf(429));
        assertEquals(Status.Code.UNAVAILABLE, ApiServerErrors.codeOf(500));
        assertEquals(Status.Code.UNAVAILABLE, ApiServerErrors.codeOf(504));
        assertEquals(Status.Code.UNAVAILABLE, ApiServerErrors.codeOf(-1), "no answer at all");
        assertEquals(Status.Code.INTERNAL, ApiServerErrors.codeOf(418));
    }

    private void createSnapshot(String name) {
        VdiskSnapshot s = new VdiskSnapshot();
        s.setMetadata(new ObjectMetaBuilder().withName(name).build());
        s.setSpec(new VdiskSnapshotSpec("n1", "pvc-a"));
        client.resources(VdiskSnapshot.class).resource(s).create();
    }

    private static void assertOneShortLine(String description) {
        assertFalse(description.contains("\n"), description);
        assertFalse(description.contains("Failure executing") || description.contains("Status("), description);
        assertTrue(description.length() < 600, description.length() + " characters: " + description);
    }
}
