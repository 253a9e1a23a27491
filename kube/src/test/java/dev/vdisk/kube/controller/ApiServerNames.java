package dev.vdisk.kube.controller;

import java.util.regex.Pattern;

/** The API server's rules for what the controller writes (apimachinery's IsDNS1123Subdomain and IsValidLabelValue). */
final class ApiServerNames {
    private static final Pattern SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

    private ApiServerNames() {}

    /** metadata.name of a cluster-scoped custom resource: a lowercase RFC 1123 subdomain of at most 253. */
    static boolean validObjectName(String name) {
        return name != null && name.length() <= 253 && SUBDOMAIN.matcher(name).matches();
    }

    /** A label value: at most 63, empty or alphanumeric at both ends with '-', '_' and '.' between. */
    static boolean validLabelValue(String value) {
        return value.length() <= 63 && LABEL_VALUE.matcher(value).matches();
    }
}
