package dev.vdisk.controller.service;

import csi.v1.VolumeContentSource;
import java.util.Optional;

/**
 * A CreateVolume's volume_content_source: a snapshot or a volume to clone. Stored with the clone as the attribute
 * {@link #ATTRIBUTE} ({@code snapshot:<id>} or {@code volume:<id>}), so that a retried CreateVolume compares it
 * (spec: a volume of the same name with another content source is incompatible, ALREADY_EXISTS) and every
 * response reports it (spec: content_source "MUST be specified" in the Volume when the volume was created from one).
 *
 * @param snapshot true for a snapshot source, false for a volume source
 */
record ContentSource(boolean snapshot, String id) {

    static final String ATTRIBUTE = "contentSource";

    /** The request's source, empty without one. INVALID_ARGUMENT when it names no ID. */
    static Optional<ContentSource> of(boolean present, VolumeContentSource source) {
        if (!present) {
            return Optional.empty();
        }
        return switch (source.getTypeCase()) {
            case SNAPSHOT ->
                Optional.of(new ContentSource(
                        true,
                        VolumeController.required(
                                "volume_content_source.snapshot.snapshot_id",
                                source.getSnapshot().getSnapshotId())));
            case VOLUME ->
                Optional.of(new ContentSource(
                        false,
                        VolumeController.required(
                                "volume_content_source.volume.volume_id",
                                source.getVolume().getVolumeId())));
            case TYPE_NOT_SET ->
                throw new IllegalArgumentException("volume_content_source names neither a snapshot" + " nor a volume");
        };
    }

    /** The stored form back, empty for a volume created without a source. */
    static Optional<ContentSource> parse(String attribute) {
        if (attribute == null) {
            return Optional.empty();
        }
        int colon = attribute.indexOf(':');
        return Optional.of(new ContentSource(attribute.startsWith("snapshot:"), attribute.substring(colon + 1)));
    }

    String attribute() {
        return (snapshot ? "snapshot:" : "volume:") + id;
    }

    VolumeContentSource toProto() {
        VolumeContentSource.Builder b = VolumeContentSource.newBuilder();
        if (snapshot) {
            b.setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(id));
        } else {
            b.setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(id));
        }
        return b.build();
    }

    /**
     * The snapshot a volume source is cloned through: taken under this ID, cloned, then deleted at once, so the
     * engine keeps it hidden while the clone reads through it and nobody lists it. A function of the new volume's
     * ID, so a retry finds (and deletes) it. {@code <volume ID>--clonesrc} is a valid resource name (the volume ID is
     * one of at most {@link VolumeIds#MAX_LENGTH} characters) and no snapshot ID of {@link VolumeIds} ends that way
     * (readable IDs contain no {@code --}, hashed ones end in hex digits). It was {@code clonesrc_<volume ID>} before
     * issue 16, which the API server refused (422), so every clone of a PVC failed in cluster mode.
     */
    static String internalSnapshotId(String newVolumeId) {
        return newVolumeId + INTERNAL_SUFFIX;
    }

    /**
     * Whether a snapshot is one of ours for a volume clone (ListSnapshots leaves it out during the clone's creation);
     * the old prefix too, which a standalone pool may still hold for a moment.
     */
    static boolean isInternal(String snapshotId) {
        return snapshotId.endsWith(INTERNAL_SUFFIX) || snapshotId.startsWith(LEGACY_INTERNAL_PREFIX);
    }

    private static final String INTERNAL_SUFFIX = "--clonesrc";
    private static final String LEGACY_INTERNAL_PREFIX = "clonesrc_";

    @Override
    public String toString() {
        return attribute();
    }
}
