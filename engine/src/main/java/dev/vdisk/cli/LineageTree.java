package dev.vdisk.cli;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.engine.Lineage;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code vdisk tree}: the lineage forest, each vdisk with its snapshots below it, each snapshot with the clones reading
 * through it; snapshots of deleted vdisks under a "(deleted vdisk N)" line; hidden snapshots marked.
 */
final class LineageTree {

    private final PrintStream out;

    LineageTree(PrintStream out) {
        this.out = out;
    }

    /** Prints the forest, or only the tree of {@code only} when not null; false when nothing has that name. */
    boolean print(List<Lineage> all, String only) {
        Map<Long, Lineage> byId = new HashMap<>();
        for (Lineage l : all) {
            byId.put(l.id(), l);
        }
        Map<Long, List<Lineage>> children = new HashMap<>();
        List<Lineage> roots = new ArrayList<>();
        Set<Long> deletedOwners = new TreeSet<>();
        for (Lineage l : all) {
            long parent = l.snapshot() ? l.ownerId() : l.backingId();
            if (parent == 0) {
                roots.add(l);
            } else {
                children.computeIfAbsent(parent, k -> new ArrayList<>()).add(l);
                if (!byId.containsKey(parent)) {
                    deletedOwners.add(parent);
                }
            }
        }
        out.printf("%-48s %12s %12s %12s%n", "NAME", "SIZE", "OWN", "SHARED");
        boolean found = only == null;
        for (Lineage r : roots) {
            if (only == null || r.name().equals(only)) {
                printTree(r, children, "");
                found = true;
            }
        }
        for (long d : deletedOwners) {
            if (only == null) {
                out.println("(deleted vdisk " + d + ")");
                for (Lineage c : children.get(d)) {
                    printTree(c, children, "  ");
                }
            }
        }
        if (!found) {
            for (Lineage l : all) {
                if (l.name().equals(only) && !l.hidden()) {
                    printTree(l, children, "");
                    found = true;
                }
            }
        }
        return found;
    }

    private void printTree(Lineage l, Map<Long, List<Lineage>> children, String indent) {
        String label = indent + (l.snapshot() ? "@" : "") + l.name() + (l.hidden() ? " (hidden)" : "");
        out.printf(
                "%-48s %12s %12s %12s%n",
                label, new ByteSize(l.sizeBytes()), new ByteSize(l.ownBytes()), new ByteSize(l.sharedBytes()));
        for (Lineage c : children.getOrDefault(l.id(), List.of())) {
            printTree(c, children, indent + "  ");
        }
    }
}
