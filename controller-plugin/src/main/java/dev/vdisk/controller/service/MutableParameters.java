package dev.vdisk.controller.service;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The mutable parameters (CreateVolumeRequest.mutable_parameters, ControllerModifyVolumeRequest; in Kubernetes a
 * VolumeAttributesClass). Unknown keys are INVALID_ARGUMENT (spec, ControllerModifyVolume: "Parameters not
 * supported"). Stored with the volume on its node; only the given keys change (spec: "SPs MUST NOT modify volumes
 * based on the absence of keys").
 *
 * @param splitOnClone      none, share or copy
 * @param maxIops           a whole number: I/O operations per second the volume's data path admits; 0 removes the
 *                          limit (absent keys leave it as it is, so 0 is how a VolumeAttributesClass lifts it)
 * @param maxBytesPerSecond a whole number: bytes per second the volume's data path admits; 0 removes the limit
 */
record MutableParameters(Optional<String> splitOnClone, OptionalLong maxIops, OptionalLong maxBytesPerSecond) {

    static final String MAX_IOPS = "maxIops";
    static final String MAX_BYTES_PER_SECOND = "maxBytesPerSecond";

    static MutableParameters parse(Map<String, String> parameters) {
        Optional<String> split = Optional.empty();
        OptionalLong iops = OptionalLong.empty();
        OptionalLong bps = OptionalLong.empty();
        for (var e : new TreeMap<>(parameters).entrySet()) {
            switch (e.getKey()) {
                case VolumeParameters.SPLIT_ON_CLONE ->
                    split = Optional.of(VolumeParameters.oneOf(e.getKey(), e.getValue(), VolumeParameters.SPLIT_MODES));
                case MAX_IOPS -> iops = OptionalLong.of(limit(e.getKey(), e.getValue(), 1L << 40));
                case MAX_BYTES_PER_SECOND -> bps = OptionalLong.of(limit(e.getKey(), e.getValue(), 1L << 50));
                default ->
                    throw new IllegalArgumentException("unknown mutable parameter '" + e.getKey()
                            + "': the mutable parameters are " + VolumeParameters.SPLIT_ON_CLONE + ", " + MAX_IOPS
                            + ", "
                            + MAX_BYTES_PER_SECOND);
            }
        }
        return new MutableParameters(split, iops, bps);
    }

    /** 0 (no limit) or a positive whole number up to {@code max}. */
    private static long limit(String key, String value, long max) {
        return value.strip().equals("0") ? 0 : VolumeParameters.positive(key, value, max);
    }

    Map<String, String> attributes() {
        Map<String, String> out = new TreeMap<>();
        splitOnClone.ifPresent(v -> out.put(VolumeParameters.SPLIT_ON_CLONE, v));
        maxIops.ifPresent(v -> out.put(MAX_IOPS, Long.toString(v)));
        maxBytesPerSecond.ifPresent(v -> out.put(MAX_BYTES_PER_SECOND, Long.toString(v)));
        return out;
    }
}
