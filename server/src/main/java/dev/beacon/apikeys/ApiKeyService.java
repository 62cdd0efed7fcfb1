package dev.beacon.apikeys;

import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.errors.Invalid;
import dev.beacon.errors.NotFound;
import dev.beacon.errors.Refused;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.tokens.Secret;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import dev.beacon.web.Auth;
import dev.beacon.web.Principal;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Mints, authenticates and revokes API keys. Thread-safe. */
public final class ApiKeyService implements Auth.KeyPrincipals {
    /** The scopes a key may carry. */
    public static final Set<String> SCOPES = Set.of(Principal.ADMIN, Principal.JOBS, Principal.READ);

    private final Database db;
    private final ApiKeyStore store;
    private final UsageTracker usage;
    private final AuditLog audit;
    private final Ids ids;
    private final Clock clock;

    private final java.util.function.Consumer<String> revoked;

    public ApiKeyService(Database db, ApiKeyStore store, UsageTracker usage, AuditLog audit, Ids ids, Clock clock) {
        this(db, store, usage, audit, ids, clock, keyId -> {
        });
    }

    /**
     * Like the other constructor; {@code revoked} is told the id of each key revoked here, after commit, so that other
     * server nodes can {@link #forget} it from their caches at once.
     */
    public ApiKeyService(Database db, ApiKeyStore store, UsageTracker usage, AuditLog audit, Ids ids, Clock clock,
                         java.util.function.Consumer<String> revoked) {
        this.revoked = revoked;
        this.db = db;
        this.store = store;
        this.usage = usage;
        this.audit = audit;
        this.ids = ids;
        this.clock = clock;
    }

    /** A freshly minted key together with its secret, which is shown once and never stored. */
    public record Created(ApiKey key, Secret secret) {
    }

    /** Mints a key for {@code orgId}; {@code actor} names who asked, for the audit log. */
    public Created create(String orgId, String name, List<String> scopes, Actor actor) {
        Set<String> checked = new LinkedHashSet<>();
        for (String scope : scopes) {
            if (!SCOPES.contains(scope)) {
                throw Invalid.field("scopes", "Unknown scope '" + scope + "'; use admin, jobs or read.");
            }
            checked.add(scope);
        }
        if (checked.isEmpty()) {
            throw Invalid.field("scopes", "Give at least one scope: admin, jobs or read.");
        }
        Secret secret = TokenFormat.generate(TokenKind.API_KEY);
        ApiKey key = new ApiKey(ids.next("key"), orgId, name, secret.masked(), checked,
                Instant.ofEpochMilli(clock.millis()), null, null);
        db.write(tx -> {
            store.insert(tx, key, secret.hash());
            audit.append(tx, new AuditLog.Entry(orgId, actor, "api_key.created",
                    "api_key", key.id(), "name=" + name + " scopes=" + String.join(",", checked)));
            return null;
        });
        return new Created(key, secret);
    }

    /**
     * The principal for an {@code X-Beacon-API-Key} header value; refuses when the key is
     * malformed, unknown or revoked. Counts the use without writing to the database.
     */
    @Override
    public Principal authenticate(String headerValue, String ip) {
        if (TokenFormat.parse(TokenKind.API_KEY, headerValue) instanceof TokenFormat.Parsed.Malformed malformed) {
            throw Refused.credentials("The X-Beacon-API-Key header does not hold a valid API key: " + malformed.reason() + ".");
        }
        String hash = TokenFormat.sha256Hex(headerValue.strip());
        ApiKey key = recentlyAuthenticated(hash);
        if (key == null) {
            key = store.byHash(hash).orElseThrow(() -> Refused.credentials("This API key is not known. Create one in API Management."));
            if (!key.isRevoked()) {
                remember(hash, key);
            }
        }
        if (key.isRevoked()) {
            throw Refused.credentials("This API key was revoked at " + key.revokedAt() + ". Create a new one in API Management.");
        }
        usage.record(key.id());
        return new Principal(key.orgId(), Principal.API_KEY_KIND, key.id(), ip, key.scopes());
    }

    /** The organization's keys with the freshest known {@code last_used_at}. */
    public List<ApiKey> list(String orgId, String afterId, int limit) {
        return store.list(orgId, afterId, limit).stream().map(this::withPendingUse).toList();
    }

    public ApiKey get(String orgId, String id) {
        return store.byId(orgId, id).map(this::withPendingUse).orElseThrow(() -> new NotFound("API key"));
    }

    /** Requests per day, stored plus not yet flushed. */
    public List<DailyUsage> usage(String orgId, String id) {
        get(orgId, id);
        java.util.TreeMap<String, Long> byDay = new java.util.TreeMap<>();
        store.usage(id).forEach(day -> byDay.merge(day.day(), day.requests(), Long::sum));
        usage.pendingCounts(id).forEach((day, n) -> byDay.merge(day, n, Long::sum));
        return byDay.entrySet().stream().map(e -> new DailyUsage(e.getKey(), e.getValue())).toList();
    }

    /** Revokes the key; revoking twice answers with the key as it is. */
    public ApiKey revoke(String orgId, String id, Actor actor) {
        get(orgId, id);
        Instant now = Instant.ofEpochMilli(clock.millis());
        forget(id);
        if (store.revoke(orgId, id, now)) {
            forget(id); // also what a request read between the first forget and the commit
            audit.append(new AuditLog.Entry(orgId, actor, "api_key.revoked", "api_key", id, null));
            revoked.accept(id);
        }
        return get(orgId, id);
    }

    /**
     * Valid keys seen in the last {@link #AUTH_CACHE_NANOS}, by hash: a busy integration costs one database read
     * per key and second instead of one per request. A revocation removes the key here at once, and on other server
     * nodes as soon as its signal arrives ({@link #forget}); without the signal, within that second.
     */
    private record Authenticated(ApiKey key, long readAt) {
    }

    private static final long AUTH_CACHE_NANOS = 1_000_000_000L;
    private static final int AUTH_CACHE_MAX = 10_000;
    private final java.util.concurrent.ConcurrentHashMap<String, Authenticated> authenticated = new java.util.concurrent.ConcurrentHashMap<>();

    private ApiKey recentlyAuthenticated(String hash) {
        Authenticated seen = authenticated.get(hash);
        if (seen == null) {
            return null;
        }
        if (System.nanoTime() - seen.readAt() > AUTH_CACHE_NANOS) {
            authenticated.remove(hash, seen);
            return null;
        }
        return seen.key();
    }

    private void remember(String hash, ApiKey key) {
        if (authenticated.size() >= AUTH_CACHE_MAX) {
            authenticated.clear();
        }
        authenticated.put(hash, new Authenticated(key, System.nanoTime()));
    }

    /** Forgets a revoked key from the cache of recently authenticated keys; called for revocations on other nodes too. */
    public void forget(String keyId) {
        authenticated.values().removeIf(seen -> seen.key().id().equals(keyId));
    }

    private ApiKey withPendingUse(ApiKey key) {
        Instant pending = usage.pendingLastUse(key.id());
        if (pending != null && (key.lastUsedAt() == null || pending.isAfter(key.lastUsedAt()))) {
            return key.withLastUsedAt(pending);
        }
        return key;
    }
}
