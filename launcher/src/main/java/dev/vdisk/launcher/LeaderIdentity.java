package dev.vdisk.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Who a controller replica is in the leader election: the Lease's holderIdentity. Two replicas with one identity both
 * believe they lead (each renews "its" lease), so it must be unique per replica and never a shared constant.
 *
 * <ol>
 *   <li>env {@code POD_NAME} (the chart sets it from metadata.name): unique among live pods, and what an operator
 *       sees in {@code kubectl get lease}.</li>
 *   <li>Outside a pod: the host name plus a random suffix (two processes on one host must differ too).</li>
 *   <li>No host name at all: {@code vdisk-csi-controller-} plus a random suffix.</li>
 * </ol>
 * The host name comes from env {@code HOSTNAME} or the kernel, never from a DNS lookup, which can answer
 * {@code localhost} on every replica (they would then share the identity and both lead).
 */
final class LeaderIdentity {

    private LeaderIdentity() {}

    /** This process's identity. */
    static String current() {
        return of(System.getenv(), kernelHostName(), new SecureRandom());
    }

    static String of(Map<String, String> env, Optional<String> kernelHostName, RandomGenerator random) {
        String pod = env.get("POD_NAME");
        if (pod != null && !pod.isBlank()) {
            return pod.strip();
        }
        byte[] suffix = new byte[4];
        random.nextBytes(suffix);
        String host = Optional.ofNullable(env.get("HOSTNAME"))
                .filter(h -> !h.isBlank())
                .or(() -> kernelHostName)
                .map(String::strip)
                .filter(h -> !h.isEmpty())
                .orElse("vdisk-csi-controller");
        return host + "-" + HexFormat.of().formatHex(suffix);
    }

    private static Optional<String> kernelHostName() {
        try {
            return Optional.of(Files.readString(Path.of("/proc/sys/kernel/hostname")));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
