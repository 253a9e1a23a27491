package dev.vdisk.kube.access;

import java.util.List;

/**
 * The API access each component's code uses. Each list is owned by the package that makes the calls; keep it exact:
 * a test fails when the code makes a request not listed here, and the chart test fails when the chart's roles differ.
 */
public final class ApiAccess {

    private ApiAccess() {}

    public static List<ApiRule> of(Component component) {
        return switch (component) {
            case CONTROLLER -> ControllerAccess.RULES;
            case NODE -> NodeAccess.RULES;
            case KUBECTL_PLUGIN -> KubectlPluginAccess.RULES;
        };
    }
}
