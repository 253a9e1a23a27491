/**
 * What the code asks of the Kubernetes API, per component: {@link dev.vdisk.kube.access.ApiAccess}. Tests record every
 * request the components make against the mock API server and check each is declared here; the chart test checks that
 * the chart's RBAC grants exactly this (least privilege that still works).
 */
package dev.vdisk.kube.access;
