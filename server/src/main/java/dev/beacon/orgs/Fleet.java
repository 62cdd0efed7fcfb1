package dev.beacon.orgs;

import java.time.Instant;

/** A group of robots in one site. */
public record Fleet(String id, String orgId, String siteId, String name, Instant createdAt) {
}
