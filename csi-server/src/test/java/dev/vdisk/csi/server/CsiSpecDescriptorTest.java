package dev.vdisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.Csi;
import csi.v1.GroupControllerGrpc;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import csi.v1.SnapshotMetadataGrpc;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServiceDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The compiled csi.proto carries the spec's v1.12 names and numbers: what the sidecars see on the wire. */
class CsiSpecDescriptorTest {

    private static final FileDescriptor CSI = Csi.getDescriptor();

    @Test
    void packageIsTheSpecs() {
        assertEquals("csi.v1", CSI.getPackage());
    }

    @ParameterizedTest
    @CsvSource({
        "csi.v1.Identity/GetPluginInfo, UNARY",
        "csi.v1.Identity/GetPluginCapabilities, UNARY",
        "csi.v1.Identity/Probe, UNARY",
        "csi.v1.Controller/CreateVolume, UNARY",
        "csi.v1.Controller/ControllerModifyVolume, UNARY",
        "csi.v1.Controller/GetSnapshot, UNARY",
        "csi.v1.Node/NodeStageVolume, UNARY",
        "csi.v1.Node/NodeExpandVolume, UNARY",
        "csi.v1.GroupController/CreateVolumeGroupSnapshot, UNARY",
        "csi.v1.GroupController/GetVolumeGroupSnapshot, UNARY",
        "csi.v1.SnapshotMetadata/GetMetadataAllocated, SERVER_STREAMING",
        "csi.v1.SnapshotMetadata/GetMetadataDelta, SERVER_STREAMING",
    })
    void methodExistsWithSpecNameAndStreaming(String fullName, MethodType type) {
        String service = fullName.substring(0, fullName.indexOf('/'));
        String method = fullName.substring(fullName.indexOf('/') + 1);
        MethodDescriptor descriptor =
                CSI.findServiceByName(service.substring("csi.v1.".length())).findMethodByName(method);
        assertNotNull(descriptor, fullName);
        assertEquals(type == MethodType.SERVER_STREAMING, descriptor.isServerStreaming(), fullName);
        assertFalse(descriptor.isClientStreaming(), fullName);
        assertEquals(fullName, grpcMethod(service, method).getFullMethodName());
        assertEquals(type, grpcMethod(service, method).getType());
    }

    @Test
    void generatedStubsUseTheSpecsFullMethodNames() {
        assertEquals(
                "csi.v1.Identity/GetPluginInfo",
                IdentityGrpc.getGetPluginInfoMethod().getFullMethodName());
        assertEquals(
                "csi.v1.Controller/CreateVolume",
                ControllerGrpc.getCreateVolumeMethod().getFullMethodName());
        assertEquals(
                "csi.v1.Node/NodeStageVolume",
                NodeGrpc.getNodeStageVolumeMethod().getFullMethodName());
        assertEquals(
                "csi.v1.GroupController/CreateVolumeGroupSnapshot",
                GroupControllerGrpc.getCreateVolumeGroupSnapshotMethod().getFullMethodName());
        assertEquals(
                "csi.v1.SnapshotMetadata/GetMetadataDelta",
                SnapshotMetadataGrpc.getGetMetadataDeltaMethod().getFullMethodName());
    }

    @Test
    void everyServiceHasTheSpecsMethodCount() {
        assertEquals(3, CSI.findServiceByName("Identity").getMethods().size());
        assertEquals(15, CSI.findServiceByName("Controller").getMethods().size());
        assertEquals(4, CSI.findServiceByName("GroupController").getMethods().size());
        assertEquals(2, CSI.findServiceByName("SnapshotMetadata").getMethods().size());
        assertEquals(8, CSI.findServiceByName("Node").getMethods().size());
    }

    /** Numbers checked by hand against the spec's csi.proto v1.12. */
    @ParameterizedTest
    @CsvSource({
        "GetPluginInfoResponse, vendor_version, 2",
        "GetPluginCapabilitiesResponse, capabilities, 1",
        "ProbeResponse, ready, 1",
        "CreateVolumeRequest, name, 1",
        "CreateVolumeRequest, secrets, 5",
        "CreateVolumeRequest, volume_content_source, 6",
        "CreateVolumeRequest, accessibility_requirements, 7",
        "CreateVolumeRequest, mutable_parameters, 8",
        "Volume, volume_id, 2",
        "Volume, accessible_topology, 5",
        "NodeStageVolumeRequest, staging_target_path, 3",
        "NodeStageVolumeRequest, volume_context, 6",
        "NodePublishVolumeRequest, target_path, 4",
        "NodePublishVolumeRequest, secrets, 7",
        "NodeGetInfoResponse, max_volumes_per_node, 2",
        "CreateSnapshotRequest, source_volume_id, 1",
        "Snapshot, creation_time, 4",
        "Snapshot, group_snapshot_id, 6",
        "ControllerModifyVolumeRequest, mutable_parameters, 3",
        "ValidateVolumeCapabilitiesRequest, mutable_parameters, 6",
        "ListVolumesResponse.VolumeStatus, volume_condition, 2",
        "VolumeCapability.MountVolume, volume_mount_group, 3",
        "CreateVolumeGroupSnapshotRequest, source_volume_ids, 2",
        "VolumeGroupSnapshot, ready_to_use, 4",
        "GetMetadataAllocatedRequest, starting_offset, 2",
        "GetMetadataDeltaRequest, base_snapshot_id, 1",
        "GetMetadataDeltaRequest, target_snapshot_id, 2",
        "GetMetadataDeltaRequest, max_results, 4",
        "GetMetadataDeltaResponse, volume_capacity_bytes, 2",
        "BlockMetadata, size_bytes, 2",
    })
    void fieldNumbersAreTheSpecs(String message, String field, int number) {
        FieldDescriptor descriptor = message(message).findFieldByName(field);
        assertNotNull(descriptor, message + "." + field);
        assertEquals(number, descriptor.getNumber(), message + "." + field);
    }

    @ParameterizedTest
    @CsvSource({
        "PluginCapability.Service.Type, SNAPSHOT_METADATA_SERVICE, 4",
        "PluginCapability.Service.Type, GROUP_CONTROLLER_SERVICE, 3",
        "ControllerServiceCapability.RPC.Type, MODIFY_VOLUME, 14",
        "ControllerServiceCapability.RPC.Type, GET_SNAPSHOT, 15",
        "NodeServiceCapability.RPC.Type, VOLUME_MOUNT_GROUP, 6",
        "VolumeCapability.AccessMode.Mode, SINGLE_NODE_MULTI_WRITER, 7",
        "BlockMetadataType, VARIABLE_LENGTH, 2",
    })
    void enumNumbersAreTheSpecs(String enumPath, String value, int number) {
        int dot = enumPath.lastIndexOf('.');
        var type = dot < 0
                ? CSI.findEnumTypeByName(enumPath)
                : message(enumPath.substring(0, dot)).findEnumTypeByName(enumPath.substring(dot + 1));
        assertEquals(number, type.findValueByName(value).getNumber(), enumPath + "." + value);
    }

    @Test
    void secretsAndAlphaOptionsAreDeclared() {
        assertTrue(message("CreateVolumeRequest")
                .findFieldByName("secrets")
                .getOptions()
                .getExtension(Csi.csiSecret));
        assertTrue(message("GetMetadataDeltaRequest")
                .findFieldByName("secrets")
                .getOptions()
                .getExtension(Csi.csiSecret));
        assertFalse(message("CreateVolumeRequest")
                .findFieldByName("parameters")
                .getOptions()
                .getExtension(Csi.csiSecret));
        assertTrue(CSI.findServiceByName("SnapshotMetadata").getOptions().getExtension(Csi.alphaService));
        assertTrue(CSI.findServiceByName("Controller")
                .findMethodByName("GetSnapshot")
                .getOptions()
                .getExtension(Csi.alphaMethod));
        assertFalse(CSI.findServiceByName("Controller")
                .findMethodByName("ControllerModifyVolume")
                .getOptions()
                .getExtension(Csi.alphaMethod));
        assertTrue(message("VolumeCondition").getOptions().getExtension(Csi.alphaMessage));
        assertTrue(message("NodeExpandVolumeRequest")
                .findFieldByName("secrets")
                .getOptions()
                .getExtension(Csi.alphaField));
        assertEquals(1059, Csi.csiSecret.getDescriptor().getNumber());
        assertEquals(1060, Csi.alphaField.getDescriptor().getNumber());
    }

    /** Guards the build step that repairs protoc's Java accessor clash (csi-proto/src/build). */
    @Test
    void parametersAndMutableParametersStayApart() throws Exception {
        CreateVolumeRequest request = CreateVolumeRequest.newBuilder()
                .putParameters("fs", "ext4")
                .putMutableParameters("iops", "100")
                .build();
        CreateVolumeRequest parsed = CreateVolumeRequest.parseFrom(request.toByteArray());
        assertEquals("ext4", parsed.getParametersOrThrow("fs"));
        assertEquals("100", parsed.getMutableParametersOrThrow("iops"));
        assertEquals(1, parsed.getParametersCount());
        assertEquals(1, parsed.getMutableParametersCount());

        CreateVolumeRequest.Builder merged =
                CreateVolumeRequest.newBuilder().mergeFrom(parsed).putParameters("x", "y");
        assertEquals(2, merged.getParametersCount());
        assertEquals(1, merged.getMutableParametersCount());
        assertEquals("100", merged.getMutableParametersMap().get("iops"));

        // reflection (used by generic code such as the call logger) sees both maps by their spec names
        FieldDescriptor mutable = CreateVolumeRequest.getDescriptor().findFieldByName("mutable_parameters");
        assertEquals(1, merged.getRepeatedFieldCount(mutable));
        CreateVolumeRequest.Builder viaReflection = CreateVolumeRequest.newBuilder();
        viaReflection.addRepeatedField(
                CreateVolumeRequest.getDescriptor().findFieldByName("parameters"),
                parsed.getRepeatedField(CreateVolumeRequest.getDescriptor().findFieldByName("parameters"), 0));
        assertEquals("ext4", viaReflection.build().getParametersOrThrow("fs"));
        assertEquals(0, viaReflection.getMutableParametersCount());

        ValidateVolumeCapabilitiesRequest validate = ValidateVolumeCapabilitiesRequest.newBuilder()
                .putParameters("a", "1")
                .putMutableParameters("b", "2")
                .build();
        assertEquals("{a=1}", validate.getParametersMap().toString());
        assertEquals("{b=2}", validate.getMutableParametersMap().toString());
    }

    private static Descriptor message(String path) {
        String[] parts = path.split("\\.");
        Descriptor descriptor = CSI.findMessageTypeByName(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            descriptor = descriptor.findNestedTypeByName(parts[i]);
        }
        assertNotNull(descriptor, path);
        return descriptor;
    }

    private static io.grpc.MethodDescriptor<?, ?> grpcMethod(String service, String method) {
        ServiceDescriptor descriptor =
                switch (service) {
                    case "csi.v1.Identity" -> IdentityGrpc.getServiceDescriptor();
                    case "csi.v1.Controller" -> ControllerGrpc.getServiceDescriptor();
                    case "csi.v1.Node" -> NodeGrpc.getServiceDescriptor();
                    case "csi.v1.GroupController" -> GroupControllerGrpc.getServiceDescriptor();
                    case "csi.v1.SnapshotMetadata" -> SnapshotMetadataGrpc.getServiceDescriptor();
                    default -> throw new IllegalArgumentException(service);
                };
        return descriptor.getMethods().stream()
                .filter(m -> m.getFullMethodName().equals(service + "/" + method))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no grpc method " + service + "/" + method));
    }
}
