/**
 * The node agent's internal gRPC API: streams that cannot travel through custom resources (the CSI SnapshotMetadata
 * service's changed-block metadata) go from the controller to the agent that owns the snapshots' pool.
 *
 * <p>Server side (node agent): {@link dev.vdisk.kube.agentapi.AgentApiServer} serves the SnapshotMetadata service of
 * the local pool on a TCP port, over TLS ({@link dev.vdisk.kube.agentapi.ServingCertificate}; plaintext on loopback
 * only), behind {@link dev.vdisk.kube.agentapi.BearerTokenInterceptor}, which lets a call in only with a
 * service-account token that the Kubernetes TokenReview API accepts for the one configured account (the
 * controller's). It never serves without that check; {@link dev.vdisk.kube.agentapi.TokenReviewAuthenticator}
 * remembers answers (bounded) so that junk tokens cannot load the API server. Client side (controller):
 * {@link dev.vdisk.kube.agentapi.AgentApiClient} proxies a CSI call to the owning node's agent address with such a
 * token, checking the agent's certificate against {@link dev.vdisk.kube.agentapi.AgentTrust}.
 *
 * <p>Replication (issue 19): the agent may also serve its snapshots to other node agents that pull replicas
 * ({@code ReplicaSourceService}, wire format {@code ReplicaWire}); the interceptor then admits the node plugin's
 * account to that service only. {@link dev.vdisk.kube.agentapi.ReplicaSourceClient} is the pulling side.
 */
package dev.vdisk.kube.agentapi;
