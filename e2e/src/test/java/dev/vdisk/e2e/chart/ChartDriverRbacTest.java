package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.access.ApiAccess;
import dev.vdisk.kube.access.Component;
import dev.vdisk.kube.access.SplitControllerAccess;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our driver's roles in the chart grant exactly what {@link ApiAccess} declares its code uses (the kube module's tests
 * check that every request the code makes is declared there): nothing missing, so it works; nothing extra, so a
 * stolen token of a node or the controller can do no more than the driver does.
 */
class ChartDriverRbacTest {

    private static Manifests chart;

    @BeforeAll
    static void render() {
        chart = Helm.find()
                .render(
                        "-f",
                        Helm.chart().resolve("ci/all-features-values.yaml").toString());
    }

    @Test
    void controllerDriverIsGrantedExactlyWhatApiAccessDeclares() {
        // the controller process also runs the split request controller (as leader); its rules are declared apart
        Set<Permission> expected = new TreeSet<>(Permission.ofApiRules(ApiAccess.of(Component.CONTROLLER)));
        expected.addAll(Permission.ofApiRules(SplitControllerAccess.RULES));
        ChartRbacTest.assertSame(
                expected,
                ChartRbacTest.granted(chart, "vdisk-csi-controller"),
                "the controller's driver container (ApiAccess CONTROLLER and SplitControllerAccess)");
    }

    @Test
    void nodeDriverIsGrantedExactlyWhatApiAccessDeclares() {
        ChartRbacTest.assertSame(
                Permission.ofApiRules(ApiAccess.of(Component.NODE)),
                ChartRbacTest.granted(chart, "vdisk-csi-node"),
                "the node's driver container (ApiAccess NODE)");
    }

    @Test
    void kubectlPluginNeedsNoMoreThanTheUserRolesGive() {
        Set<String> namespacedResources = Set.of("persistentvolumeclaims", "splitrequests", "splitrequests/status");
        Set<Permission> namespaced = new TreeSet<>();
        Set<Permission> clusterScoped = new TreeSet<>();
        for (Permission p : Permission.ofApiRules(ApiAccess.of(Component.KUBECTL_PLUGIN))) {
            (namespacedResources.contains(p.resource()) ? namespaced : clusterScoped).add(p);
        }
        // split: the aggregated split request role, plus the PVC reads every namespace user has (built-in view)
        Set<Permission> users = new TreeSet<>(ChartRbacTest.granted(chart, "namespace-users"));
        users.addAll(Permission.parse("core persistentvolumeclaims get list watch"));
        assertTrue(users.containsAll(namespaced), "kubectl vdisk split works for a namespace's users: " + namespaced);
        // status and tree: the viewer role, exactly
        ChartRbacTest.assertSame(
                clusterScoped,
                ChartRbacTest.granted(chart, "kubectl-plugin"),
                "the viewer ClusterRole (kubectl vdisk status/tree)");
    }
}
