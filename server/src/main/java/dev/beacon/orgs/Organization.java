package dev.beacon.orgs;

import java.time.Instant;

/** A tenant: everything else belongs to exactly one organization. */
public record Organization(String id, String name, Instant createdAt) {
}
