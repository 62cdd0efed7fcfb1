package dev.beacon.orgs;

import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.errors.Conflict;
import dev.beacon.errors.Invalid;
import dev.beacon.store.Database;
import java.util.List;
import java.util.Optional;

/**
 * The rules for an organization's sites and fleets, the one way both the JSON API ({@link OrgRoutes}) and the
 * dashboard create them: names are unique (a site's in its organization, a fleet's in its site), and each creation
 * is audited ({@code site.created}, {@code fleet.created}) in the same transaction, whoever asked. Called from
 * Javalin's request threads; thread-safe (it keeps no state of its own).
 */
public final class OrgService {
    private final Database db;
    private final OrgStore store;
    private final AuditLog audit;

    public OrgService(Database db, OrgStore store, AuditLog audit) {
        this.db = db;
        this.store = store;
        this.audit = audit;
    }

    /** Creates a site named {@code name}; 409 when the organization has one of that name. */
    public Site createSite(String orgId, String name, Actor actor) {
        try {
            return db.write(tx -> {
                Site site = store.createSite(tx, orgId, name);
                audit.append(tx, new AuditLog.Entry(orgId, actor, "site.created", "site", site.id(), "name=" + name));
                return site;
            });
        } catch (RuntimeException e) {
            throw conflictOr(e, "A site named " + name + " already exists in this organization.");
        }
    }

    /** Creates a fleet named {@code name} in site {@code siteId}; 422 when there is no such site, 409 when it has a fleet of that name. */
    public Fleet createFleet(String orgId, String siteId, String name, Actor actor) {
        Site site = store.site(orgId, siteId)
                .orElseThrow(() -> Invalid.reference("site_id", "No site " + siteId + " in this organization."));
        try {
            return db.write(tx -> {
                Fleet fleet = store.createFleet(tx, orgId, site.id(), name);
                audit.append(tx, new AuditLog.Entry(orgId, actor, "fleet.created", "fleet", fleet.id(), "name=" + name + " site=" + site.id()));
                return fleet;
            });
        } catch (RuntimeException e) {
            throw conflictOr(e, "A fleet named " + name + " already exists in site " + site.name() + ".");
        }
    }

    /** The organization's sites ordered by id, after {@code afterId} (null: from the first). */
    public List<Site> sites(String orgId, String afterId, int limit) {
        return store.sites(orgId, afterId, limit);
    }

    public Optional<Site> site(String orgId, String id) {
        return store.site(orgId, id);
    }

    /** The organization's fleets ordered by id, of one site or all ({@code siteId} null), after {@code afterId}. */
    public List<Fleet> fleets(String orgId, String siteId, String afterId, int limit) {
        return store.fleets(orgId, siteId, afterId, limit);
    }

    public Optional<Fleet> fleet(String orgId, String id) {
        return store.fleet(orgId, id);
    }

    private static RuntimeException conflictOr(RuntimeException e, String detail) {
        return Database.isUniqueViolation(e) ? new Conflict("conflict", detail) : e;
    }
}
