/**
 * The controller in cluster mode: {@link dev.vdisk.kube.controller.ResourceNodeAgents} puts the controller-plugin's
 * services (unchanged) on top of custom resources: each CSI call that changes a volume or snapshot writes the
 * resource named after its CSI id and bound to the owning node, and waits (bounded) for that node agent's status;
 * lookups read the resources by name. Refusals come back as status.failure and map to the same codes as in
 * standalone mode. The protocol with the node agent is described in {@link dev.vdisk.kube.controller.ResourceVolumeAgent}.
 */
package dev.vdisk.kube.controller;
