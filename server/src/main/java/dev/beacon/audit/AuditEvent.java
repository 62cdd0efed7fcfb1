package dev.beacon.audit;

import java.time.Instant;

/**
 * Who did what to which object, when, and from where. {@code orgId} is null for events that cannot be
 * tied to an organization, such as a claim with an unknown key. {@code detail} never holds a secret.
 */
public record AuditEvent(String id, String orgId, String actorType, String actorId, String action,
                         String targetType, String targetId, String ip, String detail, Instant createdAt) {
}
