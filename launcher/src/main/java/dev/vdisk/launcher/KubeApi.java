package dev.vdisk.launcher;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Whether a Kubernetes API is configured for this process, and the client for it. */
final class KubeApi {

    private KubeApi() {}

    /** --kubeconfig, or what fabric8 would find by itself: in-cluster service env, KUBECONFIG, ~/.kube/config. */
    static boolean configured(ClusterOptions options) {
        return options.kubeconfig().isPresent()
                || System.getenv("KUBERNETES_SERVICE_HOST") != null
                || System.getenv("KUBECONFIG") != null
                || Files.exists(Path.of(System.getProperty("user.home"), ".kube", "config"));
    }

    /** A client with {@code userAgent} (so the API server's audit log names the component). */
    static KubernetesClient client(ClusterOptions options, String userAgent) throws IOException {
        Optional<Path> file = options.kubeconfig();
        Config config =
                file.isPresent() ? Config.fromKubeconfig(Files.readString(file.get())) : Config.autoConfigure(null);
        config.setUserAgent(userAgent);
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
