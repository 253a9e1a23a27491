package dev.vdisk.engine.error;

import dev.vdisk.engine.journal.JournalLoss;
import java.util.List;

/**
 * The journal lost records that were acknowledged and fsynced or that the newest consistency point needs (a bad
 * record followed by valid ones, a missing or cut file, an emptied journal, a journal ending before the replay position
 * or starting after it): not a torn tail. The pool is not opened, since opening would silently bring back older data;
 * {@code PoolOptions.acceptJournalLoss()} opens it anyway and {@code Pool.journalLosses()} then says what may be older.
 * The message names the first journal file and byte offset.
 */
public class JournalDamagedException extends EngineException {
    private static final long serialVersionUID = 1L;

    private final transient List<JournalLoss> losses;

    public JournalDamagedException(List<JournalLoss> losses) {
        super("journal damaged: " + losses.getFirst().describe()
                + (losses.size() > 1 ? " (and " + (losses.size() - 1) + " more damaged places)" : "")
                + "; the pool was not opened: restore the journal from where it was lost, or open with"
                + " --accept-journal-loss to keep what survives and list the volume ranges that may be older");
        this.losses = List.copyOf(losses);
    }

    /** Every damaged place, in sequence order. */
    public List<JournalLoss> losses() {
        return losses;
    }

    @Override
    public Reason reason() {
        return Reason.CORRUPT;
    }
}
