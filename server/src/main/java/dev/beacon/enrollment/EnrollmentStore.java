package dev.beacon.enrollment;

import dev.beacon.store.Database;
import dev.beacon.store.Rows;
import dev.beacon.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import dev.beacon.store.Tx;

/** SQL for enrollment keys, including the race-proof use counter. Thread-safe. */
final class EnrollmentStore {
    private final Database db;

    EnrollmentStore(Database db) {
        this.db = db;
    }

    void insert(Tx tx, EnrollmentKey key, String keyHash) {
        tx.createUpdate("""
                        INSERT INTO enrollment_keys (id, org_id, site_id, fleet_id, name, key_hash, key_prefix, key_ciphertext,
                                                     max_uses, uses, allowed_cidrs, expires_at, created_at)
                        VALUES (:id, :org, :site, :fleet, :name, :hash, :prefix, :ciphertext, :maxUses, 0, :cidrs, :expires, :created)""")
                .bind("id", key.id()).bind("org", key.orgId()).bind("site", key.siteId()).bind("fleet", key.fleetId())
                .bind("name", key.name()).bind("hash", keyHash).bind("prefix", key.keyPrefix())
                .bind("ciphertext", key.keyCiphertext()).bind("maxUses", key.maxUses())
                .bind("cidrs", key.allowedCidrs().isEmpty() ? null : String.join(",", key.allowedCidrs()))
                .bind("expires", key.expiresAt().toEpochMilli()).bind("created", key.createdAt().toEpochMilli())
                .execute();
    }

    /** A key found for a claim, with the names of its organization, site and fleet for the answer. */
    record ClaimTarget(EnrollmentKey key, String orgName, String siteName, String fleetName) {
    }

    /** The key with this hash and the names the claim answers with, in one query (the claim's hot path). */
    Optional<ClaimTarget> claimTarget(String keyHash) {
        return Optional.ofNullable(db.read(tx -> Sql.first(tx.connection(), """
                        SELECT k.*, o.name AS org_name, s.name AS site_name, f.name AS fleet_name
                        FROM enrollment_keys k
                        JOIN organizations o ON o.id = k.org_id
                        JOIN sites s ON s.id = k.site_id
                        JOIN fleets f ON f.id = k.fleet_id
                        WHERE k.key_hash = ?""",
                rs -> new ClaimTarget(key(rs), rs.getString("org_name"), rs.getString("site_name"), rs.getString("fleet_name")),
                keyHash)));
    }

    Optional<EnrollmentKey> byHash(String keyHash) {
        return db.read(tx -> tx.createQuery("SELECT * FROM enrollment_keys WHERE key_hash = :hash")
                .bind("hash", keyHash).map((rs, ctx) -> key(rs)).findOne());
    }

    Optional<EnrollmentKey> byId(Tx tx, String orgId, String id) {
        return tx.createQuery("SELECT * FROM enrollment_keys WHERE org_id = :org AND id = :id")
                .bind("org", orgId).bind("id", id).map((rs, ctx) -> key(rs)).findOne();
    }

    Optional<EnrollmentKey> byId(String orgId, String id) {
        return db.read(tx -> byId(tx, orgId, id));
    }

    List<EnrollmentKey> list(String orgId, String afterId, int limit) {
        return db.read(tx -> tx.createQuery(
                        "SELECT * FROM enrollment_keys WHERE org_id = :org AND id > :after ORDER BY id LIMIT :limit")
                .bind("org", orgId).bind("after", afterId == null ? "" : afterId).bind("limit", limit)
                .map((rs, ctx) -> key(rs)).list());
    }

    /**
     * Takes {@code count} uses of the key, atomically, all or none. The guard in the WHERE clause is what keeps
     * {@code max_uses} true under any number of racing claims: on PostgreSQL a second UPDATE of the row waits for the
     * first to commit and then re-checks the guard against the new {@code uses}; on SQLite writers are serialized.
     * Zero rows changed means the key was spent (fewer than {@code count} uses left), revoked or expired meanwhile.
     */
    boolean takeUses(Connection connection, String keyId, int count, Instant now) {
        return Sql.update(connection, """
                        UPDATE enrollment_keys SET uses = uses + ?
                        WHERE id = ? AND uses + ? <= max_uses AND revoked_at IS NULL AND expires_at > ?""",
                count, keyId, count, now.toEpochMilli()) == 1;
    }

    /** The key as it is now, within the claim's transaction. */
    EnrollmentKey current(Connection connection, String keyId) {
        return Sql.first(connection, "SELECT * FROM enrollment_keys WHERE id = ?", EnrollmentStore::key, keyId);
    }

    /** Sets revoked_at once; false when it was already revoked. */
    boolean revoke(Tx tx, String keyId, Instant now) {
        return tx.createUpdate("UPDATE enrollment_keys SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("now", now.toEpochMilli()).bind("id", keyId).execute() == 1;
    }

    private static EnrollmentKey key(ResultSet rs) throws SQLException {
        String cidrs = rs.getString("allowed_cidrs");
        return new EnrollmentKey(rs.getString("id"), rs.getString("org_id"), rs.getString("site_id"), rs.getString("fleet_id"),
                rs.getString("name"), rs.getString("key_prefix"), rs.getString("key_ciphertext"),
                rs.getInt("max_uses"), rs.getInt("uses"),
                cidrs == null ? List.of() : Arrays.asList(cidrs.split(",")),
                Rows.instant(rs, "expires_at"), Rows.instant(rs, "created_at"), Rows.instant(rs, "revoked_at"));
    }
}
