package dev.vdisk.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One container of the rendered chart turned into a command line for a process on this machine: the chart's own
 * arguments with the pod's paths and addresses replaced by the test's, and its environment with the downward API
 * fields filled in as the kubelet would. Whatever is left unreplaced ({@code $(VAR)}, 0.0.0.0) fails the start, so
 * a new chart flag cannot slip past the suite unnoticed.
 */
record ChartContainer(List<String> args, Map<String, String> env) {

    static ChartContainer of(PodSpec pod, String name, Map<String, String> replacements, Map<String, String> fields) {
        Container container = pod.getContainers().stream()
                .filter(c -> c.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the chart has no container " + name));
        List<String> args = new ArrayList<>();
        for (String arg : container.getArgs()) {
            String adapted = arg;
            for (Map.Entry<String, String> r : replacements.entrySet()) {
                adapted = adapted.replace(r.getKey(), r.getValue());
            }
            if (adapted.contains("$(") || adapted.contains("0.0.0.0")) {
                throw new IllegalStateException("chart argument " + arg + " of " + name + " has no local equivalent"
                        + " in the test: add one to its replacements");
            }
            args.add(adapted);
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
            if (var.getValue() != null) {
                env.put(var.getName(), var.getValue());
            } else {
                String path = var.getValueFrom().getFieldRef().getFieldPath();
                String value = fields.get(path);
                if (value == null) {
                    throw new IllegalStateException("env " + var.getName() + " of " + name + " reads " + path
                            + ", which the test does not fill in");
                }
                env.put(var.getName(), value);
            }
        }
        return new ChartContainer(List.copyOf(args), Map.copyOf(env));
    }
}
