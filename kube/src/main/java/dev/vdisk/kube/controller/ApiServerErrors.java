package dev.vdisk.kube.controller;

import dev.vdisk.csi.server.ErrorTranslation;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.grpc.Status;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Teaches {@link dev.vdisk.csi.server.StatusMapper} what an API server's answer means for a CSI call in cluster mode.
 * Before, a refusal reached the PVC's events as INTERNAL with fabric8's whole exception and Status object (about
 * 2 KB); now it is one line saying what was asked and why it failed, e.g.
 * {@code creating VdiskSnapshot clonesrc_x: the API server refused it (422 Invalid): metadata.name: Invalid value: ...}.
 *
 * <p>Codes (the CSI spec names none for these; gRPC's definitions decide, and the sidecars retry every code):
 * <ul>
 *   <li>422 Invalid, 400 Bad Request: INTERNAL. The object was built by the driver, not taken from the request, so the
 *       CO's call is not what is invalid (INVALID_ARGUMENT would send the user to fix their PVC); the driver and the
 *       API server (or its CRD version) disagree, an invariant of the driver is broken.</li>
 *   <li>403 Forbidden: FAILED_PRECONDITION. The CO may make the call; the driver's own service account lacks a
 *       permission (PERMISSION_DENIED is about the caller), and retrying cannot help until an operator fixes RBAC.</li>
 *   <li>404 Not Found, 409 Conflict, 410 Gone: ABORTED. The object changed between read and write (deleted, written by
 *       another replica, an old resourceVersion); the spec's code for a concurrent operation, retried at once.</li>
 *   <li>401, 429, 5xx, and no answer at all (connection refused, timeout): UNAVAILABLE, transient.</li>
 * </ul>
 */
public final class ApiServerErrors implements ErrorTranslation {

    /** fabric8 names the HTTP method and URL first: "Failure executing: POST at: https://...". */
    private static final Pattern METHOD = Pattern.compile("Failure executing: (\\w+) at: (\\S+?)\\.?(\\s|$)");
    /** The API server's message repeats the object: {@code VdiskSnapshot.vdisk.csi.dev "x" is invalid: }. */
    private static final Pattern OBJECT_PREFIX = Pattern.compile("^\\S+ \"[^\"]*\" is invalid: ");

    private static final int MAX_REASON = 400;

    @Override
    public Optional<Status> translate(Throwable error) {
        if (!(error instanceof KubernetesClientException e)) {
            return Optional.empty();
        }
        return Optional.of(Status.fromCode(codeOf(e.getCode()))
                .withDescription(describe(e))
                .withCause(e));
    }

    static Status.Code codeOf(int http) {
        return switch (http) {
            case 400, 422 -> Status.Code.INTERNAL;
            case 403 -> Status.Code.FAILED_PRECONDITION;
            case 404, 409, 410 -> Status.Code.ABORTED;
            case 401, 429 -> Status.Code.UNAVAILABLE;
            // fabric8 gives no HTTP code (0 or -1) when no answer came: refused, reset, timed out
            default -> http >= 500 || http <= 0 ? Status.Code.UNAVAILABLE : Status.Code.INTERNAL;
        };
    }

    /** One line: what was asked, of which object, what the API server answered and why. */
    static String describe(KubernetesClientException e) {
        String line = action(e) + " " + object(e) + ": " + verdict(e)
                + reason(e).map(r -> ": " + r).orElse("");
        if (e.getCode() == 403) {
            line += "; the driver's service account lacks this permission: check the chart's RBAC";
        }
        return line;
    }

    private static String action(KubernetesClientException e) {
        Matcher m = METHOD.matcher(String.valueOf(e.getMessage()));
        return !m.find()
                ? "calling the API server about"
                : switch (m.group(1)) {
                    case "POST" -> "creating";
                    case "PUT", "PATCH" -> "updating";
                    case "DELETE" -> "deleting";
                    case "GET" -> "reading";
                    default -> m.group(1) + " of";
                };
    }

    /** The kind (or resource) and name, from the answer, else from what fabric8 knew, else from the URL. */
    private static String object(KubernetesClientException e) {
        Optional<StatusDetails> details =
                Optional.ofNullable(e.getStatus()).map(io.fabric8.kubernetes.api.model.Status::getDetails);
        List<String> fromUrl = resourceAndName(e);
        String kind = details.map(StatusDetails::getKind)
                .filter(k -> !k.isEmpty())
                .or(() -> Optional.ofNullable(e.getResourcePlural()))
                .orElse(fromUrl.isEmpty() ? "an object" : fromUrl.getFirst());
        String name = Optional.ofNullable(e.getName())
                .or(() -> details.map(StatusDetails::getName))
                .filter(n -> !n.isEmpty())
                .orElse(fromUrl.size() > 1 ? fromUrl.get(1) : "");
        return name.isEmpty() ? kind : kind + " " + name;
    }

    /** [resource, name] of a URL like {@code .../apis/<group>/<version>[/namespaces/<ns>]/<resource>[/<name>]}. */
    private static List<String> resourceAndName(KubernetesClientException e) {
        Matcher m = METHOD.matcher(String.valueOf(e.getMessage()));
        if (!m.find()) {
            return List.of();
        }
        List<String> path = List.of(m.group(2).replaceFirst("[?#].*", "").split("/"));
        int at = path.indexOf("apis") >= 0
                ? path.indexOf("apis") + 3
                : path.indexOf("api") >= 0 ? path.indexOf("api") + 2 : -1;
        if (at < 0 || at >= path.size()) {
            return List.of();
        }
        if (path.get(at).equals("namespaces") && at + 2 < path.size()) {
            at += 2;
        }
        return path.subList(at, Math.min(at + 2, path.size()));
    }

    private static String verdict(KubernetesClientException e) {
        int code = e.getCode();
        if (code <= 0) {
            return "the API server could not be reached";
        }
        String reason = Optional.ofNullable(e.getStatus())
                .map(io.fabric8.kubernetes.api.model.Status::getReason)
                .filter(r -> !r.isEmpty())
                .map(r -> " " + r)
                .orElse("");
        return (code >= 500 ? "the API server failed (" : "the API server refused it (") + code + reason + ")";
    }

    private static Optional<String> reason(KubernetesClientException e) {
        String text;
        List<StatusCause> causes = Optional.ofNullable(e.getStatus())
                .map(io.fabric8.kubernetes.api.model.Status::getDetails)
                .map(StatusDetails::getCauses)
                .orElse(List.of());
        if (!causes.isEmpty()) {
            text = String.join(
                    "; ",
                    causes.stream()
                            .map(c -> (c.getField() == null ? "" : c.getField() + ": ") + c.getMessage())
                            .toList());
        } else if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            text = OBJECT_PREFIX.matcher(e.getStatus().getMessage()).replaceFirst("");
        } else if (e.getCode() <= 0) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            text = root == e
                    ? firstLine(e.getMessage())
                    : root.getClass().getSimpleName() + (root.getMessage() == null ? "" : " " + root.getMessage());
        } else {
            return Optional.empty();
        }
        text = text.replaceAll("\\s+", " ").strip();
        return text.isEmpty()
                ? Optional.empty()
                : Optional.of(text.length() <= MAX_REASON ? text : text.substring(0, MAX_REASON) + "...");
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
