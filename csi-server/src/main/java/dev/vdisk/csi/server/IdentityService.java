package dev.vdisk.csi.server;

import com.google.protobuf.BoolValue;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginCapabilitiesResponse;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.IdentityGrpc;
import csi.v1.PluginCapability;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * The CSI Identity service, served by every mode.
 *
 * <p>It reports exactly the plugin capabilities it is given: the mode that runs knows which services it
 * registered (CONTROLLER_SERVICE only where a Controller service is served, and so on), and a CO that sees a
 * capability will call the matching service.
 */
public final class IdentityService extends IdentityGrpc.IdentityImplBase {

    /** Spec, GetPluginInfoResponse.name: domain-name notation, at most 63 characters, alphanumeric at both ends. */
    private static final Pattern DRIVER_NAME = Pattern.compile("[a-zA-Z0-9]([-.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?");

    private final GetPluginInfoResponse info;
    private final GetPluginCapabilitiesResponse capabilities;
    private final BooleanSupplier ready;

    /**
     * @param driverName   the CSI driver name (spec: domain-name notation, at most 63 characters)
     * @param version      vendor_version, the build's version
     * @param capabilities what the running mode implements, nothing more
     * @param ready        Probe's answer; false while the plugin is still starting
     */
    public IdentityService(
            String driverName, String version, List<PluginCapability> capabilities, BooleanSupplier ready) {
        if (!DRIVER_NAME.matcher(driverName).matches()) {
            throw new IllegalArgumentException("driver name '" + driverName + "' is not valid for CSI: at most 63"
                    + " characters, letters, digits, '-' and '.', starting and ending with a letter or digit");
        }
        this.info = GetPluginInfoResponse.newBuilder()
                .setName(driverName)
                .setVendorVersion(version)
                .build();
        this.capabilities = GetPluginCapabilitiesResponse.newBuilder()
                .addAllCapabilities(capabilities)
                .build();
        this.ready = ready;
    }

    @Override
    public void getPluginInfo(GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> response) {
        response.onNext(info);
        response.onCompleted();
    }

    @Override
    public void getPluginCapabilities(
            GetPluginCapabilitiesRequest request, StreamObserver<GetPluginCapabilitiesResponse> response) {
        response.onNext(capabilities);
        response.onCompleted();
    }

    @Override
    public void probe(ProbeRequest request, StreamObserver<ProbeResponse> response) {
        response.onNext(ProbeResponse.newBuilder()
                .setReady(BoolValue.of(ready.getAsBoolean()))
                .build());
        response.onCompleted();
    }
}
