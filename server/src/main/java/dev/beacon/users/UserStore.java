package dev.beacon.users;

import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import java.time.Clock;
import java.util.Optional;
import dev.beacon.store.Tx;

/** SQL for dashboard users and their memberships in organizations. Thread-safe. */
public final class UserStore {
    public static final java.util.Set<String> ROLES = java.util.Set.of("admin", "operator", "viewer");

    private final Database db;
    private final Ids ids;
    private final Clock clock;

    public UserStore(Database db, Ids ids, Clock clock) {
        this.db = db;
        this.ids = ids;
        this.clock = clock;
    }

    /** Creates a user with a membership in {@code orgId}; returns the user id. */
    public String create(Tx tx, String username, String passwordHash, String orgId, String role) {
        String id = ids.next("usr");
        tx.createUpdate("INSERT INTO users (id, username, password_hash, created_at) VALUES (:id, :name, :hash, :now)")
                .bind("id", id).bind("name", username).bind("hash", passwordHash).bind("now", clock.millis()).execute();
        addMembership(tx, id, orgId, role);
        return id;
    }

    public void addMembership(Tx tx, String userId, String orgId, String role) {
        tx.createUpdate("INSERT INTO memberships (user_id, org_id, role) VALUES (:user, :org, :role)")
                .bind("user", userId).bind("org", orgId).bind("role", role).execute();
    }

    /**
     * Makes a user an instance admin, or ordinary again; false when nothing changed (no such user, or already so).
     * Instance admins alone see the audit events that belong to no organization.
     */
    public boolean setInstanceAdmin(Tx tx, String userId, boolean instanceAdmin) {
        String change = instanceAdmin ? "instance_admin_at = :now WHERE id = :id AND instance_admin_at IS NULL"
                : "instance_admin_at = NULL WHERE id = :id AND instance_admin_at IS NOT NULL";
        return tx.createUpdate("UPDATE users SET " + change).bind("now", clock.millis()).bind("id", userId).execute() == 1;
    }

    /** Whether the user is an instance admin, read fresh so that taking the flag away takes effect at once. */
    public boolean isInstanceAdmin(String userId) {
        return db.read(tx -> tx.createQuery("SELECT 1 FROM users WHERE id = :id AND instance_admin_at IS NOT NULL")
                .bind("id", userId).mapTo(Integer.class).findOne().isPresent());
    }

    public Optional<String> idByUsername(String username) {
        return db.read(tx -> tx.createQuery("SELECT id FROM users WHERE username = :name")
                .bind("name", username).mapTo(String.class).findOne());
    }

    /** A user's id, name and stored password hash, for signing in. */
    public record Credentials(String userId, String username, String passwordHash) {
        @Override
        public String toString() {
            return "Credentials[" + username + "]"; // never the hash
        }
    }

    public Optional<Credentials> credentials(String username) {
        return db.read(tx -> tx.createQuery("SELECT id, username, password_hash FROM users WHERE username = :name")
                .bind("name", username)
                .map((rs, ctx) -> new Credentials(rs.getString(1), rs.getString(2), rs.getString(3)))
                .findOne());
    }

    /** One organization a user belongs to, with the user's role there. */
    public record Membership(String orgId, String orgName, String role) {
    }

    /** The user's organizations, by name. */
    public java.util.List<Membership> memberships(String userId) {
        return db.read(tx -> tx.createQuery("""
                        SELECT m.org_id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id
                        WHERE m.user_id = :user ORDER BY o.name""")
                .bind("user", userId)
                .map((rs, ctx) -> new Membership(rs.getString(1), rs.getString(2), rs.getString(3)))
                .list());
    }

    /** Replaces the password hash and ends the user's dashboard sessions; false when there is no such user. */
    public boolean setPasswordHash(String username, String passwordHash) {
        return db.write(tx -> {
            boolean found = tx.createUpdate("UPDATE users SET password_hash = :hash WHERE username = :name")
                    .bind("hash", passwordHash).bind("name", username).execute() == 1;
            tx.createUpdate("DELETE FROM user_sessions WHERE user_id IN (SELECT id FROM users WHERE username = :name)")
                    .bind("name", username).execute();
            return found;
        });
    }

}
