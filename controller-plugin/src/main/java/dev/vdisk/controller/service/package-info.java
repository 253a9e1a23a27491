/**
 * The CSI Controller and GroupController services (spec v1.12). Entry points
 * {@link dev.vdisk.controller.service.ControllerService}: the gRPC class and the per-ID locking decorator in front of
 * {@link dev.vdisk.controller.service.VolumeController} and {@link dev.vdisk.controller.service.SnapshotController}, the
 * unlocked implementations (never used on their own); and {@link dev.vdisk.controller.service.GroupControllerService}
 * in front of {@link dev.vdisk.controller.service.GroupSnapshotController}. Clones record their
 * {@link dev.vdisk.controller.service.ContentSource}; {@link dev.vdisk.controller.service.CloneSplitHook} is where the
 * clone splitter gets started. Request parts are checked by small value classes:
 * {@link dev.vdisk.controller.service.VolumeCapabilities}, {@link dev.vdisk.controller.service.VolumeParameters},
 * {@link dev.vdisk.controller.service.MutableParameters}, {@link dev.vdisk.controller.service.SizeRange},
 * {@link dev.vdisk.controller.service.TopologyPicker}, {@link dev.vdisk.controller.service.PageToken},
 * {@link dev.vdisk.controller.service.VolumeIds}, {@link dev.vdisk.controller.service.CapacityPolicy}.
 *
 * <p>Errors are thrown, never turned into statuses here: {@link java.lang.IllegalArgumentException} (INVALID_ARGUMENT),
 * the agent's {@link dev.vdisk.api.agent.AgentException}s (by reason), and this package's own exceptions, which the
 * launcher registers with csi-server's StatusMapper: {@link dev.vdisk.controller.service.CapacityOutOfRangeException}
 * (OUT_OF_RANGE), {@link dev.vdisk.controller.service.NoSuitableNodeException} (RESOURCE_EXHAUSTED),
 * {@link dev.vdisk.controller.service.InvalidPageTokenException} (ABORTED) and
 * {@link dev.vdisk.controller.service.OperationPendingException} (ABORTED).
 */
package dev.vdisk.controller.service;
