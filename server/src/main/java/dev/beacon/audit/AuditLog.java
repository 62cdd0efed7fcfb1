package dev.beacon.audit;

import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.store.Rows;
import dev.beacon.store.Sql;
import dev.beacon.store.Tx;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/** Appends audit events (inside the caller's transaction where there is one) and reads them back. Thread-safe. */
public final class AuditLog {
    /** Rows per query of an export: enough to keep round trips few, few enough that a page is a small allocation. */
    static final int EXPORT_PAGE_SIZE = 1_000;

    private final Database db;
    private final Ids ids;
    private final Clock clock;
    private final int exportPageSize;

    public AuditLog(Database db, Ids ids, Clock clock) {
        this(db, ids, clock, EXPORT_PAGE_SIZE);
    }

    /** With another page size for {@link #export}; for tests that page through a handful of events. */
    AuditLog(Database db, Ids ids, Clock clock, int exportPageSize) {
        if (exportPageSize < 1) {
            throw new IllegalArgumentException("exportPageSize must be at least 1; got " + exportPageSize);
        }
        this.db = db;
        this.ids = ids;
        this.clock = clock;
        this.exportPageSize = exportPageSize;
    }

    /**
     * Which events a read keeps: one {@code action} when not null, and those created in {@code [since, until)}, each end
     * open when null.
     */
    public record Filter(String action, Instant since, Instant until) {
        public Filter {
            if (since != null && until != null && !since.isBefore(until)) {
                throw new IllegalArgumentException("since " + since + " is not before until " + until);
            }
        }
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
        return list(orgId, new Filter(action, null, null), beforeId, limit);
    }

    /** Events of one organization that {@code filter} keeps, newest first. */
    public List<AuditEvent> list(String orgId, Filter filter, String beforeId, int limit) {
        return read("org_id = :org", orgId, filter, " AND id < :cursor", beforeId, "DESC", limit);
    }

    /**
     * Hands every event of one organization that {@code filter} keeps to {@code sink}, oldest first, and returns how many.
     * Reads them {@value #EXPORT_PAGE_SIZE} at a time, each page in a read of its own keyed on the last id seen, so that
     * neither a long log nor a slow sink holds a transaction or much memory; {@code sink} runs outside any transaction,
     * on the caller's thread. Without {@code until}, the export ends at the time it starts, so events appended while it
     * runs cannot keep it going.
     */
    public long export(String orgId, Filter filter, Consumer<AuditEvent> sink) {
        // One millisecond on: "now" itself is inside the range, as the list would show it.
        Instant end = filter.until() != null ? filter.until() : clock.instant().plusMillis(1);
        if (filter.since() != null && !filter.since().isBefore(end)) {
            return 0;
        }
        Filter bounded = new Filter(filter.action(), filter.since(), end);
        long exported = 0;
        String afterId = null;
        while (true) {
            List<AuditEvent> page = read("org_id = :org", orgId, bounded, " AND id > :cursor", afterId, "ASC", exportPageSize);
            page.forEach(sink);
            exported += page.size();
            if (page.size() < exportPageSize) {
                return exported;
            }
            afterId = page.getLast().id();
        }
    }

    /**
     * Events that belong to no organization (refused sign-ins of unknown users, claims with unknown or malformed
     * keys, instance admin changes), newest first: only for instance admins.
     */
    public List<AuditEvent> listInstance(String action, String beforeId, int limit) {
        return read("org_id IS NULL", null, new Filter(action, null, null), " AND id < :cursor", beforeId, "DESC", limit);
    }

    /** {@code cursorFilter} compares {@code id} with {@code :cursor}, and applies only when {@code cursor} is not null. */
    private List<AuditEvent> read(String scope, String orgId, Filter filter, String cursorFilter, String cursor, String order, int limit) {
        String sql = "SELECT * FROM audit_events WHERE " + scope
                + (filter.action() == null ? "" : " AND action = :action")
                + (filter.since() == null ? "" : " AND created_at >= :since")
                + (filter.until() == null ? "" : " AND created_at < :until")
                + (cursor == null ? "" : cursorFilter)
                + " ORDER BY id " + order + " LIMIT :limit";
        return db.read(tx -> tx.createQuery(sql)
                .bind("org", orgId).bind("action", filter.action()).bind("cursor", cursor).bind("limit", limit)
                .bind("since", Rows.millis(filter.since())).bind("until", Rows.millis(filter.until()))
                .map((rs, ctx) -> new AuditEvent(rs.getString("id"), rs.getString("org_id"), rs.getString("actor_type"),
                        rs.getString("actor_id"), rs.getString("action"), rs.getString("target_type"), rs.getString("target_id"),
                        rs.getString("ip"), rs.getString("detail"), Rows.instant(rs, "created_at")))
                .list());
    }
}
