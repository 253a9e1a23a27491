package dev.vdisk.engine.error;

import java.util.UUID;

/**
 * A file that a pool's layout names belongs to another pool (its header carries another pool UUID): a copied pool
 * directory whose {@code pool.properties} still names the original's files, a journal directory given to two pools.
 * Refused before anything is written, so that neither pool's data is touched.
 */
public class ForeignPoolFileException extends EngineException {
    private static final long serialVersionUID = 1L;

    public ForeignPoolFileException(String what, UUID found, UUID expected) {
        super(what + " belongs to pool " + found + ", not to this pool " + expected
                + "; it was copied or shared from another pool: move it out of this pool's files, or rebuild this"
                + " pool's pool.properties from its own data with 'vdisk pool import'");
    }

    @Override
    public Reason reason() {
        return Reason.FAILED_PRECONDITION;
    }
}
