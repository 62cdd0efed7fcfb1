package dev.beacon.orgs;

import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import dev.beacon.store.Tx;

/** SQL for organizations, sites and fleets. Thread-safe. */
public final class OrgStore {
    private final Database db;
    private final Ids ids;
    private final Clock clock;

    public OrgStore(Database db, Ids ids, Clock clock) {
        this.db = db;
        this.ids = ids;
        this.clock = clock;
    }

    public Organization createOrganization(Tx tx, String name) {
        Organization org = new Organization(ids.next("org"), name, Instant.ofEpochMilli(clock.millis()));
        tx.createUpdate("INSERT INTO organizations (id, name, created_at) VALUES (:id, :name, :created)")
                .bind("id", org.id()).bind("name", name).bind("created", org.createdAt().toEpochMilli())
                .execute();
        return org;
    }

    public Optional<Organization> organizationByName(String name) {
        return db.read(tx -> tx.createQuery("SELECT id, name, created_at FROM organizations WHERE name = :name")
                .bind("name", name)
                .map((rs, ctx) -> new Organization(rs.getString("id"), rs.getString("name"), Instant.ofEpochMilli(rs.getLong("created_at"))))
                .findOne());
    }

    public Optional<Organization> organization(String id) {
        return db.read(tx -> tx.createQuery("SELECT id, name, created_at FROM organizations WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> new Organization(rs.getString("id"), rs.getString("name"), Instant.ofEpochMilli(rs.getLong("created_at"))))
                .findOne());
    }

    public long organizationCount() {
        return db.read(tx -> tx.createQuery("SELECT COUNT(*) FROM organizations").mapTo(Long.class).one());
    }

    /** Inserts a new site in the caller's transaction; a duplicate name fails with a unique violation. */
    public Site createSite(Tx tx, String orgId, String name) {
        Site site = new Site(ids.next("site"), orgId, name, Instant.ofEpochMilli(clock.millis()));
        tx.createUpdate("INSERT INTO sites (id, org_id, name, created_at) VALUES (:id, :org, :name, :created)")
                .bind("id", site.id()).bind("org", orgId).bind("name", name).bind("created", site.createdAt().toEpochMilli())
                .execute();
        return site;
    }

    public List<Site> sites(String orgId, String afterId, int limit) {
        return db.read(tx -> tx.createQuery("""
                        SELECT id, org_id, name, created_at FROM sites
                        WHERE org_id = :org AND id > :after ORDER BY id LIMIT :limit""")
                .bind("org", orgId).bind("after", afterId == null ? "" : afterId).bind("limit", limit)
                .map((rs, ctx) -> new Site(rs.getString("id"), rs.getString("org_id"), rs.getString("name"), Instant.ofEpochMilli(rs.getLong("created_at"))))
                .list());
    }

    public Optional<Site> site(String orgId, String id) {
        return db.read(tx -> tx.createQuery("SELECT id, org_id, name, created_at FROM sites WHERE org_id = :org AND id = :id")
                .bind("org", orgId).bind("id", id)
                .map((rs, ctx) -> new Site(rs.getString("id"), rs.getString("org_id"), rs.getString("name"), Instant.ofEpochMilli(rs.getLong("created_at"))))
                .findOne());
    }

    /** Inserts a new fleet in the caller's transaction; a duplicate name in the site fails with a unique violation. */
    public Fleet createFleet(Tx tx, String orgId, String siteId, String name) {
        Fleet fleet = new Fleet(ids.next("flt"), orgId, siteId, name, Instant.ofEpochMilli(clock.millis()));
        tx.createUpdate("""
                        INSERT INTO fleets (id, org_id, site_id, name, created_at) VALUES (:id, :org, :site, :name, :created)""")
                .bind("id", fleet.id()).bind("org", orgId).bind("site", siteId).bind("name", name)
                .bind("created", fleet.createdAt().toEpochMilli())
                .execute();
        return fleet;
    }

    public List<Fleet> fleets(String orgId, String siteId, String afterId, int limit) {
        String siteFilter = siteId == null ? "" : " AND site_id = :site";
        return db.read(tx -> tx.createQuery("SELECT id, org_id, site_id, name, created_at FROM fleets WHERE org_id = :org"
                        + siteFilter + " AND id > :after ORDER BY id LIMIT :limit")
                .bind("org", orgId).bind("site", siteId).bind("after", afterId == null ? "" : afterId).bind("limit", limit)
                .map((rs, ctx) -> fleet(rs))
                .list());
    }

    public Optional<Fleet> fleet(String orgId, String id) {
        return db.read(tx -> tx.createQuery("SELECT id, org_id, site_id, name, created_at FROM fleets WHERE org_id = :org AND id = :id")
                .bind("org", orgId).bind("id", id)
                .map((rs, ctx) -> fleet(rs))
                .findOne());
    }

    private static Fleet fleet(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Fleet(rs.getString("id"), rs.getString("org_id"), rs.getString("site_id"), rs.getString("name"),
                Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}
