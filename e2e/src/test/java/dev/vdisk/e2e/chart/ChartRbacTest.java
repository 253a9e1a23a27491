package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart's RBAC, one role per container (label {@code vdisk.csi.dev/rbac-for}): each sidecar's grants exactly its
 * upstream rules, each role is bound to its pod's service account and nothing else.
 */
class ChartRbacTest {

    static final String RBAC_FOR = "vdisk.csi.dev/rbac-for";
    static final String CONTROLLER_SA = "vdisk-csi-controller";
    static final String NODE_SA = "vdisk-csi-node";
    /** Which service account each container's role must be bound to. */
    static final Map<String, String> ACCOUNT_OF = Map.of(
            "vdisk-csi-controller", CONTROLLER_SA,
            "csi-provisioner", CONTROLLER_SA,
            "csi-snapshotter", CONTROLLER_SA,
            "csi-resizer", CONTROLLER_SA,
            "csi-snapshot-metadata", CONTROLLER_SA,
            "vdisk-csi-node", NODE_SA);
    /** Roles for people, not for the driver: aggregated into edit/view, or left for an admin to bind. */
    static final Set<String> USER_ROLES = Set.of("namespace-users", "kubectl-plugin");

    private static Manifests everything;
    private static Manifests defaults;

    @BeforeAll
    static void render() {
        Helm helm = Helm.find();
        everything = helm.render(
                "-f", Helm.chart().resolve("ci/all-features-values.yaml").toString());
        defaults = helm.render();
    }

    @ParameterizedTest
    @ValueSource(strings = {"csi-provisioner", "csi-snapshotter", "csi-resizer", "csi-snapshot-metadata"})
    void sidecarIsGrantedExactlyItsUpstreamRules(String container) {
        assertSame(UpstreamSidecarRules.BY_CONTAINER.get(container), granted(everything, container), container);
    }

    @Test
    void everyRoleIsForOneKnownContainerAndBoundOnlyToThatContainersServiceAccount() {
        for (HasMetadata role : roles(everything)) {
            String container = label(role);
            if (USER_ROLES.contains(container)) {
                assertTrue(
                        subjectsBoundTo(everything, role).isEmpty(),
                        role.getMetadata().getName() + " is left to admins");
                continue;
            }
            String account = ACCOUNT_OF.get(container);
            assertTrue(
                    account != null,
                    role.getKind() + " " + role.getMetadata().getName() + " is for unknown " + container);
            List<Subject> subjects = subjectsBoundTo(everything, role);
            assertEquals(
                    1, subjects.size(), "one binding of " + role.getMetadata().getName());
            Subject subject = subjects.getFirst();
            assertEquals("ServiceAccount", subject.getKind());
            assertEquals(
                    account,
                    subject.getName(),
                    "the account bound to " + role.getMetadata().getName());
            assertEquals(Helm.NAMESPACE, subject.getNamespace());
            if (role instanceof Role namespaced) {
                assertEquals(
                        Helm.NAMESPACE, namespaced.getMetadata().getNamespace(), "Roles live in the release namespace");
            }
        }
        assertEquals(
                ACCOUNT_OF.keySet(),
                new TreeSet<>(roles(everything).stream()
                        .map(ChartRbacTest::label)
                        .filter(c -> !USER_ROLES.contains(c))
                        .toList()),
                "a role for every container with API access");
    }

    @Test
    void podsRunWithTheirComponentsServiceAccount() {
        assertEquals(
                CONTROLLER_SA,
                defaults.one(Deployment.class, "vdisk-csi-controller")
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getServiceAccountName());
        assertEquals(
                NODE_SA,
                defaults.one(DaemonSet.class, "vdisk-csi-node")
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getServiceAccountName());
        assertEquals(2, defaults.all(ServiceAccount.class).size(), "one account per component");
    }

    @Test
    void snapshotMetadataRightsExistOnlyWhenItsSidecarRuns() {
        assertTrue(granted(defaults, "csi-snapshot-metadata").isEmpty(), "no csi-snapshot-metadata role by default");
        assertFalse(granted(everything, "csi-snapshot-metadata").isEmpty());
    }

    @Test
    void namespaceUsersGetSplitRequestsOnlyThroughAggregatedRoles() {
        List<ClusterRole> userRoles = everything.all(ClusterRole.class).stream()
                .filter(r -> label(r).equals("namespace-users"))
                .toList();
        assertEquals(2, userRoles.size(), "an edit and a view role");
        for (ClusterRole role : userRoles) {
            for (Permission p : Permission.ofRules(role.getRules())) {
                assertTrue(
                        p.apiGroup().equals("vdisk.csi.dev") && p.resource().startsWith("splitrequests"),
                        "namespace users get split requests only (namespaced), not " + p);
            }
            assertTrue(
                    role.getMetadata().getLabels().keySet().stream()
                            .anyMatch(k -> k.startsWith("rbac.authorization.k8s.io/aggregate-to-")),
                    "aggregated: " + role.getMetadata().getName());
            assertTrue(subjectsBoundTo(everything, role).isEmpty(), "bound through aggregation only");
        }
        Set<Permission> edit = Permission.ofRules(everything
                .one(ClusterRole.class, "vdisk-csi-splitrequests-edit")
                .getRules());
        assertTrue(
                edit.containsAll(Permission.parse("vdisk.csi.dev splitrequests create delete get")),
                "edit can start and cancel");
        Manifests without = Helm.find().render("--set", "rbac.splitRequestsForNamespaceUsers=false");
        assertTrue(without.all(ClusterRole.class).stream().noneMatch(r -> label(r).equals("namespace-users")));
    }

    static void assertSame(Set<Permission> expected, Set<Permission> actual, String what) {
        Set<Permission> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        Set<Permission> extra = new TreeSet<>(actual);
        extra.removeAll(expected);
        if (!missing.isEmpty() || !extra.isEmpty()) {
            fail("RBAC of " + what + " differs from what it uses.\nmissing from the chart:"
                    + Permission.describe(missing) + "\ngranted but not used:" + Permission.describe(extra));
        }
    }

    /** Everything the chart grants to one container: its ClusterRoles and Roles together. */
    static Set<Permission> granted(Manifests manifests, String container) {
        List<PolicyRule> rules = new ArrayList<>();
        for (HasMetadata role : roles(manifests)) {
            if (label(role).equals(container)) {
                rules.addAll(role instanceof ClusterRole c ? c.getRules() : ((Role) role).getRules());
            }
        }
        return Permission.ofRules(rules);
    }

    private static List<HasMetadata> roles(Manifests manifests) {
        List<HasMetadata> out = new ArrayList<>(manifests.all(ClusterRole.class));
        out.addAll(manifests.all(Role.class));
        return out;
    }

    private static String label(HasMetadata role) {
        Map<String, String> labels = role.getMetadata().getLabels();
        String value = labels == null ? null : labels.get(RBAC_FOR);
        if (value == null) {
            fail(role.getKind() + " " + role.getMetadata().getName() + " has no " + RBAC_FOR + " label");
        }
        return value;
    }

    private static List<Subject> subjectsBoundTo(Manifests manifests, HasMetadata role) {
        List<Subject> subjects = new ArrayList<>();
        for (ClusterRoleBinding b : manifests.all(ClusterRoleBinding.class)) {
            if (refersTo(b.getRoleRef(), role)) {
                subjects.addAll(b.getSubjects());
            }
        }
        for (RoleBinding b : manifests.all(RoleBinding.class)) {
            if (refersTo(b.getRoleRef(), role)
                    && role.getMetadata().getNamespace() != null
                    && role.getMetadata().getNamespace().equals(b.getMetadata().getNamespace())) {
                subjects.addAll(b.getSubjects());
            }
        }
        return subjects;
    }

    private static boolean refersTo(RoleRef ref, HasMetadata role) {
        return ref.getKind().equals(role.getKind())
                && ref.getName().equals(role.getMetadata().getName());
    }
}
