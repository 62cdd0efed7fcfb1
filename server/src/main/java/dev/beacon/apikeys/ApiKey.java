package dev.beacon.apikeys;

import java.time.Instant;
import java.util.Set;

/** An organization's named API key as stored: the secret itself is only ever held as a hash. */
public record ApiKey(String id, String orgId, String name, String prefix, Set<String> scopes,
                     Instant createdAt, Instant lastUsedAt, Instant revokedAt) {
    public ApiKey {
        scopes = Set.copyOf(scopes);
    }

    public boolean isRevoked() {
        return revokedAt != null;
    }

    ApiKey withLastUsedAt(Instant lastUsed) {
        return new ApiKey(id, orgId, name, prefix, scopes, createdAt, lastUsed, revokedAt);
    }
}
