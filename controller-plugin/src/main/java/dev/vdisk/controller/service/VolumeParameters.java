package dev.vdisk.controller.service;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The StorageClass parameters (CreateVolumeRequest.parameters, also sent to GetCapacity and
 * ValidateVolumeCapabilities). Keys with the prefix {@code csi.storage.k8s.io/} are the external-provisioner's (PVC
 * and PV names, secrets references) and are accepted and ignored; any other unknown key is an error, so that a typo
 * in a StorageClass does not silently give a different volume.
 *
 * @param fsType             {@code fsType}: ext4 or xfs; the file system of mount volumes (must agree with the
 *                           capabilities' fs_type). Immutable.
 * @param splitOnClone       {@code splitOnClone}: none, share or copy; what a clone of this volume does with its
 *                           backing snapshot (used when clones exist). Also a mutable parameter.
 * @param maxChainDepth      {@code maxChainDepth}: a positive whole number; the longest backing chain of clones
 *                           (used when clones exist). Immutable.
 * @param overprovisionRatio {@code overprovisionRatio}: a positive decimal (default 1.0); how many times the pool's size
 *                           the volumes of a node may add up to (see {@link CapacityPolicy}). It lives here, in the
 *                           StorageClass, because the external-provisioner passes a StorageClass's parameters to
 *                           GetCapacity as well, so capacity reports and creations use the same ratio; it is stored
 *                           with each volume so that ControllerExpandVolume (which gets no parameters) uses it too.
 */
record VolumeParameters(
        Optional<String> fsType,
        Optional<String> splitOnClone,
        OptionalInt maxChainDepth,
        OptionalDouble overprovisionRatio) {

    static final String FS_TYPE = "fsType";
    static final String SPLIT_ON_CLONE = "splitOnClone";
    static final String MAX_CHAIN_DEPTH = "maxChainDepth";
    static final String OVERPROVISION_RATIO = "overprovisionRatio";
    static final String PROVISIONER_PREFIX = "csi.storage.k8s.io/";
    static final Set<String> SPLIT_MODES = Set.of("none", "share", "copy");
    static final int MAX_CHAIN_DEPTH_LIMIT = 1024;
    static final double MAX_RATIO = 1000;

    static VolumeParameters parse(Map<String, String> parameters) {
        Optional<String> fsType = Optional.empty();
        Optional<String> split = Optional.empty();
        OptionalInt depth = OptionalInt.empty();
        OptionalDouble ratio = OptionalDouble.empty();
        for (var e : new TreeMap<>(parameters).entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key.startsWith(PROVISIONER_PREFIX)) {
                continue;
            }
            switch (key) {
                case FS_TYPE -> fsType = Optional.of(oneOf(key, value, VolumeCapabilities.FILESYSTEMS));
                case SPLIT_ON_CLONE -> split = Optional.of(oneOf(key, value, SPLIT_MODES));
                case MAX_CHAIN_DEPTH -> depth = OptionalInt.of((int) positive(key, value, MAX_CHAIN_DEPTH_LIMIT));
                case OVERPROVISION_RATIO -> ratio = OptionalDouble.of(ratio(value));
                default ->
                    throw new IllegalArgumentException("unknown parameter '" + key + "': the parameters are "
                            + FS_TYPE + ", " + SPLIT_ON_CLONE + ", " + MAX_CHAIN_DEPTH + ", " + OVERPROVISION_RATIO
                            + " (and the provisioner's " + PROVISIONER_PREFIX + "* keys)");
            }
        }
        return new VolumeParameters(fsType, split, depth, ratio);
    }

    /** The ratio to apply: the parameter, or 1.0 (no overprovisioning). */
    double ratio() {
        return overprovisionRatio.orElse(1.0);
    }

    /** What is stored with the volume on its node (ratio included, see above). */
    Map<String, String> attributes() {
        Map<String, String> out = new TreeMap<>();
        fsType.ifPresent(v -> out.put(FS_TYPE, v));
        splitOnClone.ifPresent(v -> out.put(SPLIT_ON_CLONE, v));
        maxChainDepth.ifPresent(v -> out.put(MAX_CHAIN_DEPTH, Integer.toString(v)));
        overprovisionRatio.ifPresent(v -> out.put(OVERPROVISION_RATIO, Double.toString(v)));
        return out;
    }

    /**
     * Why a volume stored with {@code stored} attributes is not what these parameters ask for, if it is not. Only the
     * immutable ones count: splitOnClone may have been changed by ControllerModifyVolume since, and the ratio
     * governs future capacity decisions, not the volume.
     */
    Optional<String> mismatch(Map<String, String> stored) {
        if (fsType.isPresent() && !fsType.get().equals(stored.getOrDefault(FS_TYPE, ""))) {
            return Optional.of("it was created with fsType '" + stored.getOrDefault(FS_TYPE, "") + "', not '"
                    + fsType.get() + "'");
        }
        String depth = maxChainDepth.isPresent() ? Integer.toString(maxChainDepth.getAsInt()) : "";
        if (!depth.equals(stored.getOrDefault(MAX_CHAIN_DEPTH, ""))) {
            return Optional.of("it was created with maxChainDepth '" + stored.getOrDefault(MAX_CHAIN_DEPTH, "")
                    + "', not '" + depth + "'");
        }
        return Optional.empty();
    }

    static String oneOf(String key, String value, Set<String> allowed) {
        if (!allowed.contains(value)) {
            throw new IllegalArgumentException(
                    "parameter " + key + "='" + value + "' is not valid: use one of " + new TreeSet<>(allowed));
        }
        return value;
    }

    static long positive(String key, String value, long max) {
        try {
            long n = Long.parseLong(value.strip());
            if (n < 1 || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "parameter " + key + "='" + value + "' is not valid: use a whole number" + " from 1 to " + max);
        }
    }

    private static double ratio(String value) {
        try {
            double r = Double.parseDouble(value.strip());
            if (!(r > 0) || r > MAX_RATIO || Double.isNaN(r)) {
                throw new NumberFormatException();
            }
            return r;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("parameter " + OVERPROVISION_RATIO + "='" + value + "' is not valid:"
                    + " use a decimal above 0 and at most " + (int) MAX_RATIO + ", e.g. 1.5");
        }
    }
}
