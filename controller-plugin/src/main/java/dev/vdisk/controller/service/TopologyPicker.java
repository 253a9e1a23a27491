package dev.vdisk.controller.service;

import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SequencedSet;
import java.util.SortedSet;
import java.util.function.Function;

/**
 * Chooses the node of a new volume from CreateVolume's accessibility_requirements. A vdisk is accessible from its own
 * node only, so every topology is {@code {topology.vdisk.csi.dev/node: <node id>}} (what NodeGetInfo reports) and
 * "accessible from a requisite topology" means "on that node".
 *
 * <p>Order (spec, TopologyRequirement): the preferred topologies first to last ("An SP MUST attempt to make the
 * provisioned volume available using the preferred topologies in order"), then the requisite ones in order ("the SP
 * MAY choose a topology from the list of requisite topologies"), and without requisite any known node. The first
 * node that has an agent and room wins. None: RESOURCE_EXHAUSTED ("Unable to provision in accessible_topology").
 *
 * @param requisite node IDs the volume must be on one of (empty: anywhere)
 * @param preferred node IDs in order of preference (each also requisite when requisite is given)
 */
record TopologyPicker(List<String> requisite, List<String> preferred) {

    static final String KEY = "topology.vdisk.csi.dev/node";

    /** The requirement of a request; absent means none. INVALID_ARGUMENT for topologies this plugin never reports. */
    static TopologyPicker of(Optional<TopologyRequirement> requirement) {
        if (requirement.isEmpty()) {
            return new TopologyPicker(List.of(), List.of());
        }
        TopologyRequirement r = requirement.get();
        List<String> requisite =
                r.getRequisiteList().stream().map(t -> nodeOf("requisite", t)).toList();
        List<String> preferred =
                r.getPreferredList().stream().map(t -> nodeOf("preferred", t)).toList();
        if (requisite.isEmpty() && preferred.isEmpty()) {
            // spec: "If TopologyRequirement is specified either requisite or preferred or both MUST be specified"
            throw new IllegalArgumentException(
                    "accessibility_requirements has neither requisite nor preferred topologies");
        }
        for (String node : preferred) {
            if (!requisite.isEmpty() && !requisite.contains(node)) {
                // spec: "If requisite is specified, all topologies in preferred list MUST also be present in the list
                // of requisite topologies"
                throw new IllegalArgumentException("accessibility_requirements: preferred topology {" + KEY + "=" + node
                        + "} is not among the requisite topologies");
            }
        }
        return new TopologyPicker(List.copyOf(requisite), List.copyOf(preferred));
    }

    /** The node ID of one topology. */
    static String nodeOf(String field, Topology t) {
        String node = t.getSegmentsMap().get(KEY);
        if (node == null || node.isEmpty() || t.getSegmentsCount() != 1) {
            throw new IllegalArgumentException(field + " topology " + t.getSegmentsMap() + " is not one this plugin"
                    + " reports: its only topology key is " + KEY + " (volumes are local to one node)");
        }
        return node;
    }

    /** Whether a volume on {@code node} satisfies the requisite topologies. */
    boolean allows(String node) {
        return requisite.isEmpty() || requisite.contains(node);
    }

    /**
     * The chosen node.
     *
     * @param known  the nodes with an agent
     * @param whyNot why a known node cannot take the volume (no room), or empty when it can
     * @throws NoSuitableNodeException naming, per candidate, why it was not taken
     */
    String pick(SortedSet<String> known, Function<String, Optional<String>> whyNot) {
        SequencedSet<String> candidates = new LinkedHashSet<>(preferred);
        candidates.addAll(requisite);
        if (requisite.isEmpty()) {
            candidates.addAll(known);
        }
        List<String> refusals = new ArrayList<>();
        for (String node : candidates) {
            if (!known.contains(node)) {
                refusals.add(node + ": no node agent known for it");
                continue;
            }
            Optional<String> why = whyNot.apply(node);
            if (why.isEmpty()) {
                return node;
            }
            refusals.add(node + ": " + why.get());
        }
        if (refusals.isEmpty()) {
            throw new NoSuitableNodeException("no node agent is known, so no volume can be created");
        }
        throw new NoSuitableNodeException("no node can take the volume (" + String.join("; ", refusals) + ")");
    }
}
