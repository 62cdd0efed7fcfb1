package dev.beacon.dashboard;

import dev.beacon.orgs.Fleet;
import dev.beacon.orgs.OrgService;
import dev.beacon.orgs.Site;
import java.util.List;
import java.util.stream.Collectors;

/** An organization's sites and fleets, for the dashboard's forms and filters, and their names by id. Immutable. */
record OrgSetup(List<Site> sites, List<Fleet> fleets, Views.Places places) {
    /** Reads the organization's sites and fleets (up to {@link DashboardRoutes#LIST_LIMIT} of each). */
    static OrgSetup of(OrgService orgs, String orgId) {
        List<Site> sites = orgs.sites(orgId, null, DashboardRoutes.LIST_LIMIT);
        List<Fleet> fleets = orgs.fleets(orgId, null, null, DashboardRoutes.LIST_LIMIT);
        return new OrgSetup(sites, fleets, new Views.Places(sites.stream().collect(Collectors.toMap(Site::id, Site::name)),
                fleets.stream().collect(Collectors.toMap(Fleet::id, Fleet::name))));
    }
}
