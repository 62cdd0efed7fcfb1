package dev.beacon.cluster;

import java.time.Duration;

/**
 * How this server takes part in the cluster. Immutable.
 *
 * @param name          the node's name ({@code --node-name}), or null for the machine's hostname and the bound port
 * @param advertiseUrl  the URL other nodes and the dashboard use for it ({@code --advertise-url}), or null for the
 *                      public URL, else the hostname and the bound port
 * @param leaseRenewal  how often the node renews its lease and looks for dead nodes to take over
 * @param leaseExpiry   how old a lease may be before its node counts as dead; several renewal periods, so that one
 *                      slow renewal does not kill a node
 */
public record NodeSettings(String name, String advertiseUrl, Duration leaseRenewal, Duration leaseExpiry) {
    public static final Duration DEFAULT_RENEWAL = Duration.ofSeconds(3);
    public static final Duration DEFAULT_EXPIRY = Duration.ofSeconds(12);

    public NodeSettings {
        if (name != null && name.isBlank()) {
            name = null;
        }
        if (advertiseUrl != null && advertiseUrl.isBlank()) {
            advertiseUrl = null;
        }
        // Not checked against each other: a test on a clock it moves by hand may renew rarely and still never expire.
        if (leaseRenewal.isNegative() || leaseRenewal.isZero() || leaseExpiry.isNegative() || leaseExpiry.isZero()) {
            throw new IllegalArgumentException("lease renewal and expiry must be positive (renewal " + leaseRenewal
                    + ", expiry " + leaseExpiry + ")");
        }
    }

    public static NodeSettings defaults() {
        return new NodeSettings(null, null, DEFAULT_RENEWAL, DEFAULT_EXPIRY);
    }

    public NodeSettings withName(String newName) {
        return new NodeSettings(newName, advertiseUrl, leaseRenewal, leaseExpiry);
    }

    public NodeSettings withLease(Duration renewal, Duration expiry) {
        return new NodeSettings(name, advertiseUrl, renewal, expiry);
    }
}
