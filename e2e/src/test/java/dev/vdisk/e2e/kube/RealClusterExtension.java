package dev.vdisk.e2e.kube;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands the shared {@link RealCluster} to a test class and stops it when the whole test run ends: the root
 * store closes what it holds after the last class, so every class of the suite uses one cluster.
 */
final class RealClusterExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace STORE =
            ExtensionContext.Namespace.create(RealClusterExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        RealCluster.get();
        context.getRoot().getStore(STORE).computeIfAbsent("stopper", key -> (AutoCloseable) RealCluster::stopShared);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == RealCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        try {
            return RealCluster.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
