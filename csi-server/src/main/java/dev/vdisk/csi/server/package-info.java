/**
 * What both CSI plugins share: the gRPC server on a unix domain socket and everything every call goes through.
 *
 * <p>Entry point: {@link dev.vdisk.csi.server.CsiServer#start}, given an {@link dev.vdisk.csi.server.Endpoint},
 * the services of the running mode and the {@link dev.vdisk.csi.server.StatusMapper}. A call flows
 * socket &rarr; {@link dev.vdisk.csi.server.CallLoggingInterceptor} &rarr;
 * {@link dev.vdisk.csi.server.StatusMappingInterceptor} &rarr; service &rarr; response.
 * Services just throw: {@link dev.vdisk.csi.server.StatusMapper} is the one place where an exception becomes a
 * gRPC status, and other modules teach it their exceptions with an {@link dev.vdisk.csi.server.ErrorTranslation}.
 *
 * <p>{@link dev.vdisk.csi.server.IdentityService} is the CSI Identity service every mode serves.
 */
package dev.vdisk.csi.server;
