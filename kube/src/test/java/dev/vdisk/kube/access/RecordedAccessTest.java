package dev.vdisk.kube.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The request-to-RBAC mapping the recording tests rely on. */
class RecordedAccessTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "GET|/apis/vdisk.csi.dev/v1alpha1/vdiskvolumes/pvc-1|vdisk.csi.dev|vdiskvolumes|get",
                "GET|/apis/vdisk.csi.dev/v1alpha1/vdiskvolumes?labelSelector=x|vdisk.csi.dev|vdiskvolumes|list",
                "GET|/apis/vdisk.csi.dev/v1alpha1/vdiskvolumes?fieldSelector=a&watch=true|vdisk.csi.dev|vdiskvolumes|watch",
                "PUT|/apis/vdisk.csi.dev/v1alpha1/vdiskvolumes/pvc-1/status|vdisk.csi.dev|vdiskvolumes/status|update",
                "PATCH|/apis/vdisk.csi.dev/v1alpha1/namespaces/ns/splitrequests/r|vdisk.csi.dev|splitrequests|patch",
                "POST|/apis/coordination.k8s.io/v1/namespaces/ns/leases|coordination.k8s.io|leases|create",
                "DELETE|/apis/vdisk.csi.dev/v1alpha1/vdisksnapshots/s|vdisk.csi.dev|vdisksnapshots|delete",
                "DELETE|/apis/vdisk.csi.dev/v1alpha1/vdisksnapshots|vdisk.csi.dev|vdisksnapshots|deletecollection",
                "GET|/api/v1/namespaces/ns/persistentvolumeclaims/db|''|persistentvolumeclaims|get",
                "POST|/api/v1/namespaces/ns/events|''|events|create",
                "GET|/api/v1/namespaces/ns|''|namespaces|get",
                "GET|/api/v1/persistentvolumes|''|persistentvolumes|list",
            })
    void mapsRequestsToRbacTerms(String method, String path, String group, String resource, String verb) {
        assertEquals(new RecordedAccess.Access(group, resource, verb), RecordedAccess.of(method, path));
    }

    @ParameterizedTest
    @CsvSource({"GET,/version", "GET,/apis", "GET,/api", "GET,/apis/vdisk.csi.dev/v1alpha1"})
    void nonResourcePathsAreLeftOut(String method, String path) {
        assertNull(RecordedAccess.of(method, path));
    }
}
