package dev.beacon.orgs;

import java.time.Instant;

/** A place, such as a warehouse, that holds fleets. */
public record Site(String id, String orgId, String name, Instant createdAt) {
}
