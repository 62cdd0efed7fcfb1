package dev.beacon.apikeys;

import dev.beacon.store.Database;
import dev.beacon.store.Rows;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.beacon.store.Tx;

/** SQL for API keys and their per-day usage. Thread-safe. */
public final class ApiKeyStore {
    private static final String COLUMNS = "id, org_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

    private final Database db;

    public ApiKeyStore(Database db) {
        this.db = db;
    }

    public void insert(Tx tx, ApiKey key, String keyHash) {
        tx.createUpdate("""
                        INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_at)
                        VALUES (:id, :org, :name, :prefix, :hash, :scopes, :created)""")
                .bind("id", key.id()).bind("org", key.orgId()).bind("name", key.name()).bind("prefix", key.prefix())
                .bind("hash", keyHash).bind("scopes", String.join(",", key.scopes()))
                .bind("created", key.createdAt().toEpochMilli())
                .execute();
    }

    public Optional<ApiKey> byHash(String keyHash) {
        return db.read(tx -> tx.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE key_hash = :hash")
                .bind("hash", keyHash).map((rs, ctx) -> apiKey(rs)).findOne());
    }

    public Optional<ApiKey> byId(String orgId, String id) {
        return db.read(tx -> tx.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE org_id = :org AND id = :id")
                .bind("org", orgId).bind("id", id).map((rs, ctx) -> apiKey(rs)).findOne());
    }

    public List<ApiKey> list(String orgId, String afterId, int limit) {
        return db.read(tx -> tx.createQuery("SELECT " + COLUMNS
                        + " FROM api_keys WHERE org_id = :org AND id > :after ORDER BY id LIMIT :limit")
                .bind("org", orgId).bind("after", afterId == null ? "" : afterId).bind("limit", limit)
                .map((rs, ctx) -> apiKey(rs)).list());
    }

    /** Sets revoked_at once; returns false when the key was already revoked or is not in this org. */
    public boolean revoke(String orgId, String id, Instant now) {
        return db.write(tx -> tx.createUpdate(
                        "UPDATE api_keys SET revoked_at = :now WHERE org_id = :org AND id = :id AND revoked_at IS NULL")
                .bind("now", now.toEpochMilli()).bind("org", orgId).bind("id", id).execute() == 1);
    }

    /** Writes coalesced usage: the latest use per key and the request counts per key and day. */
    public void recordUsage(Map<String, Long> lastUsedByKey, Map<UsageTracker.KeyDay, Long> countsByKeyDay) {
        if (lastUsedByKey.isEmpty() && countsByKeyDay.isEmpty()) {
            return;
        }
        db.write(tx -> {
            for (Map.Entry<String, Long> entry : lastUsedByKey.entrySet()) {
                // Never move last_used_at backwards if two nodes flush out of order.
                tx.createUpdate("""
                                UPDATE api_keys SET last_used_at = :at
                                WHERE id = :id AND (last_used_at IS NULL OR last_used_at < :at)""")
                        .bind("at", entry.getValue()).bind("id", entry.getKey()).execute();
            }
            for (Map.Entry<UsageTracker.KeyDay, Long> entry : countsByKeyDay.entrySet()) {
                tx.createUpdate("""
                                INSERT INTO api_key_usage (api_key_id, day, requests) VALUES (:id, :day, :n)
                                ON CONFLICT (api_key_id, day) DO UPDATE SET requests = api_key_usage.requests + excluded.requests""")
                        .bind("id", entry.getKey().apiKeyId()).bind("day", entry.getKey().day()).bind("n", entry.getValue())
                        .execute();
            }
            return null;
        });
    }

    /** Requests per day for one key, oldest first. */
    public List<DailyUsage> usage(String apiKeyId) {
        return db.read(tx -> tx.createQuery("SELECT day, requests FROM api_key_usage WHERE api_key_id = :id ORDER BY day")
                .bind("id", apiKeyId)
                .map((rs, ctx) -> new DailyUsage(rs.getString("day"), rs.getLong("requests")))
                .list());
    }

    private static ApiKey apiKey(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getString("id"), rs.getString("org_id"), rs.getString("name"), rs.getString("prefix"),
                new LinkedHashSet<>(Arrays.asList(rs.getString("scopes").split(","))),
                Instant.ofEpochMilli(rs.getLong("created_at")), Rows.instant(rs, "last_used_at"), Rows.instant(rs, "revoked_at"));
    }
}
