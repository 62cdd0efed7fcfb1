package dev.beacon.audit;

import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.store.Rows;
import dev.beacon.store.Sql;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import dev.beacon.store.Tx;

/** Appends audit events (inside the caller's transaction where there is one) and reads them back. Thread-safe. */
public final class AuditLog {
    private final Database db;
    private final Ids ids;
    private final Clock clock;

    public AuditLog(Database db, Ids ids, Clock clock) {
        this.db = db;
        this.ids = ids;
        this.clock = clock;
    }

    /** What happened, before it is stamped with an id and time. {@code detail} must never hold a secret. */
    public record Entry(String orgId, Actor actor, String action, String targetType, String targetId, String detail) {
    }

    /** Appends {@code entry} within the caller's transaction, so the event and the change commit together. */
    public void append(Tx tx, Entry entry) {
        append(tx.connection(), entry);
    }

    /** Appends {@code entry} on the caller's JDBC connection (and so within its transaction). */
    public void append(Connection connection, Entry entry) {
        Sql.update(connection, """
                        INSERT INTO audit_events (id, org_id, actor_type, actor_id, action, target_type, target_id, ip, detail, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                ids.next("aud"), entry.orgId(), entry.actor().type(), entry.actor().id(), entry.action(),
                entry.targetType(), entry.targetId(), entry.actor().ip(), entry.detail(), clock.millis());
    }

    /** Appends {@code entry} in a transaction of its own. */
    public void append(Entry entry) {
        db.write(tx -> {
            append(tx, entry);
            return null;
        });
    }

    /** Appends every entry in one transaction of its own: one event seen from several organizations. */
    public void appendAll(List<Entry> entries) {
        db.write(tx -> {
            entries.forEach(entry -> append(tx, entry));
            return null;
        });
    }

    /** Events of one organization, newest first; {@code action} filters when not null. */
    public List<AuditEvent> list(String orgId, String action, String beforeId, int limit) {
        return read("org_id = :org", orgId, action, beforeId, limit);
    }

    /**
     * Events that belong to no organization (refused sign-ins of unknown users, claims with unknown or malformed
     * keys, instance admin changes), newest first: only for instance admins.
     */
    public List<AuditEvent> listInstance(String action, String beforeId, int limit) {
        return read("org_id IS NULL", null, action, beforeId, limit);
    }

    private List<AuditEvent> read(String scope, String orgId, String action, String beforeId, int limit) {
        String actionFilter = action == null ? "" : " AND action = :action";
        String cursorFilter = beforeId == null ? "" : " AND id < :before";
        return db.read(tx -> tx.createQuery("SELECT * FROM audit_events WHERE " + scope + actionFilter + cursorFilter
                        + " ORDER BY id DESC LIMIT :limit")
                .bind("org", orgId).bind("action", action).bind("before", beforeId).bind("limit", limit)
                .map((rs, ctx) -> new AuditEvent(rs.getString("id"), rs.getString("org_id"), rs.getString("actor_type"),
                        rs.getString("actor_id"), rs.getString("action"), rs.getString("target_type"), rs.getString("target_id"),
                        rs.getString("ip"), rs.getString("detail"), Rows.instant(rs, "created_at")))
                .list());
    }
}
