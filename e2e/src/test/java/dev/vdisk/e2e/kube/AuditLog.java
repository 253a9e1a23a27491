package dev.vdisk.e2e.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The API server's audit log (JSON lines, one per request), read as requests with user, verb, object and code. */
record AuditLog(List<Request> requests) {

    record Request(String user, String verb, String uri, int code, String reason) {
        @Override
        public String toString() {
            return code + " " + verb + " " + uri + (reason.isEmpty() ? "" : " (" + reason + ")");
        }
    }

    static AuditLog read(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Request> requests = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode event = json.readTree(line);
            JsonNode status = event.path("responseStatus");
            requests.add(new Request(
                    event.path("user").path("username").asText(),
                    event.path("verb").asText(),
                    event.path("requestURI").asText(),
                    status.path("code").asInt(0),
                    status.path("message").asText("")));
        }
        return new AuditLog(List.copyOf(requests));
    }

    /** Requests answered with one of these codes, grouped by user. */
    Map<String, List<Request>> answered(int... codes) {
        return requests.stream()
                .filter(r -> Arrays.stream(codes).anyMatch(c -> c == r.code()))
                .collect(Collectors.groupingBy(Request::user, TreeMap::new, Collectors.toCollection(ArrayList::new)));
    }

    Map<String, Long> countByUser() {
        return requests.stream().collect(Collectors.groupingBy(Request::user, TreeMap::new, Collectors.counting()));
    }
}
