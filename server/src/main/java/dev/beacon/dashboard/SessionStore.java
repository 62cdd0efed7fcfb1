package dev.beacon.dashboard;

import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.tokens.TokenFormat;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Dashboard sessions in the database, so they survive a restart and work on every node. The cookie carries a
 * random 256-bit token; the table keeps only its SHA-256. A session ends after {@link #IDLE} without a request,
 * or {@link #ABSOLUTE} after sign-in, whichever comes first. Thread-safe.
 */
public final class SessionStore {
    static final Duration IDLE = Duration.ofHours(12);
    static final Duration ABSOLUTE = Duration.ofDays(7);
    /** last_seen_at is written at most this often per session, not on every request. */
    private static final Duration TOUCH_EVERY = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private final Database db;
    private final Ids ids;
    private final Clock clock;

    public SessionStore(Database db, Ids ids, Clock clock) {
        this.db = db;
        this.ids = ids;
        this.clock = clock;
    }

    /** A new session and the raw token for its cookie. */
    public record Opened(Session session, String token) {
        @Override
        public String toString() {
            return "Opened[" + session + "]";
        }
    }

    public Opened open(String userId, String orgId, String ip, String userAgent) {
        String token = random();
        String id = ids.next("ses");
        long now = clock.millis();
        db.write(tx -> tx.createUpdate("""
                        INSERT INTO user_sessions (id, token_hash, user_id, org_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at)
                        VALUES (:id, :hash, :user, :org, :csrf, :ip, :ua, :now, :now, :expires)""")
                .bind("id", id).bind("hash", TokenFormat.sha256Hex(token)).bind("user", userId).bind("org", orgId)
                .bind("csrf", random()).bind("ip", ip).bind("ua", truncate(userAgent, 300)).bind("now", now)
                .bind("expires", now + ABSOLUTE.toMillis()).execute());
        return new Opened(find(token).orElseThrow(), token);
    }

    /** The live session a cookie token names; refreshes its idle timer (at most once a minute). */
    public Optional<Session> find(String token) {
        if (token == null || token.length() != 64) {
            return Optional.empty();
        }
        long now = clock.millis();
        Optional<Session> found = db.read(tx -> tx.createQuery("""
                        SELECT s.id, s.user_id, u.username, s.org_id, o.name, m.role, s.csrf_token, s.expires_at, s.last_seen_at,
                               u.instance_admin_at
                        FROM user_sessions s
                        JOIN users u ON u.id = s.user_id
                        JOIN organizations o ON o.id = s.org_id
                        JOIN memberships m ON m.user_id = s.user_id AND m.org_id = s.org_id
                        WHERE s.token_hash = :hash AND s.expires_at > :now AND s.last_seen_at > :idle""")
                .bind("hash", TokenFormat.sha256Hex(token)).bind("now", now).bind("idle", now - IDLE.toMillis())
                .map((rs, ctx) -> new Session(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        Role.of(rs.getString(6)), rs.getString(7), Instant.ofEpochMilli(rs.getLong(8)), Instant.ofEpochMilli(rs.getLong(9)),
                        rs.getObject(10) != null))
                .findOne());
        found.filter(session -> now - session.lastSeenAt().toEpochMilli() > TOUCH_EVERY.toMillis())
                .ifPresent(session -> db.write(tx -> tx.createUpdate("UPDATE user_sessions SET last_seen_at = :now WHERE id = :id")
                        .bind("now", now).bind("id", session.id()).execute()));
        return found;
    }

    /** Moves the session to another organization the user belongs to (the caller checks membership). */
    public void switchOrganization(String sessionId, String orgId) {
        db.write(tx -> tx.createUpdate("UPDATE user_sessions SET org_id = :org WHERE id = :id")
                .bind("org", orgId).bind("id", sessionId).execute());
    }

    public void close(String sessionId) {
        db.write(tx -> tx.createUpdate("DELETE FROM user_sessions WHERE id = :id").bind("id", sessionId).execute());
    }

    /** Deletes sessions that can no longer be used; returns how many. */
    public int purgeExpired() {
        long now = clock.millis();
        return db.write(tx -> tx.createUpdate("DELETE FROM user_sessions WHERE expires_at <= :now OR last_seen_at <= :idle")
                .bind("now", now).bind("idle", now - IDLE.toMillis()).execute());
    }

    private static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HEX.formatHex(bytes);
    }

    private static String truncate(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }
}
