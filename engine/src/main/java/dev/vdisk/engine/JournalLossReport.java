package dev.vdisk.engine;

import dev.vdisk.engine.journal.JournalLoss;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Words for accepted journal loss: per damaged place, which vdisks and byte ranges may now hold older data. Only what
 * is known is said: a lost record whose header survived names its vdisk and range (unverified, since its CRC failed);
 * a lost record without one may have written any range of any vdisk.
 */
public final class JournalLossReport {
    private JournalLossReport() {}

    /** Vdisks listed by name in the line for unknown ranges; more are counted. */
    private static final int NAMES_LISTED = 10;

    /**
     * One line per damaged place, then one per known range or one for the unknown ones. {@code namesById}: the pool's
     * vdisks (every one of them may have been written by a record without a readable header).
     */
    public static List<String> lines(List<JournalLoss> losses, Map<Long, String> namesById) {
        List<String> out = new ArrayList<>();
        List<String> names = namesById.values().stream().sorted().toList();
        String every = names.isEmpty()
                ? "every vdisk"
                : "every vdisk ("
                        + String.join(", ", names.subList(0, Math.min(NAMES_LISTED, names.size())))
                        + (names.size() > NAMES_LISTED ? " and " + (names.size() - NAMES_LISTED) + " more" : "") + ")";
        for (JournalLoss l : losses) {
            out.add("journal loss accepted: " + l.describe());
            for (JournalLoss.Claim c : l.claims()) {
                String name = namesById.get(c.vdiskId());
                out.add("  " + (name == null ? "vdisk id " + c.vdiskId() + " (no longer in the pool)" : "vdisk " + name)
                        + " bytes " + c.offset() + ".." + (c.offset() + c.length() - 1)
                        + (c.discard() ? " may hold data discarded since" : " may hold older data")
                        + " (record " + c.seq() + ", as its damaged header says)");
            }
            if (l.toSeq() < 0) {
                out.add("  unknown ranges of " + every + " written from record " + l.fromSeq()
                        + " on may hold older data");
            } else if (!l.rangesKnown() && l.count() > 0) {
                long unknown = l.count() - l.claims().size();
                out.add("  unknown ranges of " + every + " written by "
                        + (unknown == l.count() ? "records " : unknown + " of records ") + l.fromSeq() + ".."
                        + (l.toSeq() - 1) + " may hold older data");
            }
        }
        return out;
    }
}
