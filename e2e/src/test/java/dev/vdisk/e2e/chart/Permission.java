package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.access.ApiRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One verb on one resource of one API group: RBAC rules and {@link ApiRule}s are both flattened to sets of these, so
 * that two ways of writing the same rights compare equal and a difference names exactly what is missing or extra.
 */
record Permission(String apiGroup, String resource, String verb) implements Comparable<Permission> {

    static Set<Permission> ofRules(Collection<PolicyRule> rules) {
        Set<Permission> out = new TreeSet<>();
        for (PolicyRule rule : rules) {
            assertTrue(
                    rule.getResourceNames() == null || rule.getResourceNames().isEmpty(),
                    "resourceNames are not used: " + rule);
            assertTrue(
                    rule.getNonResourceURLs() == null
                            || rule.getNonResourceURLs().isEmpty(),
                    "nonResourceURLs are not used: " + rule);
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        assertTrue(
                                !group.contains("*") && !resource.contains("*") && !verb.contains("*"),
                                "no wildcards in a least-privilege role: " + rule);
                        out.add(new Permission(group, resource, verb));
                    }
                }
            }
        }
        return out;
    }

    static Set<Permission> ofApiRules(Collection<ApiRule> rules) {
        Set<Permission> out = new TreeSet<>();
        for (ApiRule rule : rules) {
            for (String verb : rule.verbs()) {
                out.add(new Permission(rule.apiGroup(), rule.resource(), verb));
            }
        }
        return out;
    }

    /** Rules as "group resource verbs" lines, for the test's own declarations. */
    static Set<Permission> parse(String... lines) {
        Set<Permission> out = new TreeSet<>();
        for (String line : lines) {
            String[] words = line.trim().split("\\s+");
            String group = words[0].equals("core") ? "" : words[0];
            for (int i = 2; i < words.length; i++) {
                out.add(new Permission(group, words[1], words[i]));
            }
        }
        return out;
    }

    static String describe(Set<Permission> permissions) {
        return permissions.stream().map(Permission::toString).collect(Collectors.joining("\n  ", "\n  ", ""));
    }

    @Override
    public int compareTo(Permission o) {
        return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
        return (apiGroup.isEmpty() ? "core" : apiGroup) + " " + resource + " " + verb;
    }
}
